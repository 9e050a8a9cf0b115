import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { expect } from 'chai';
import { jsonBody } from '../../services/api/json-body.ts';

interface Outcome {
  err?: { status?: number; type?: string };
  body?: unknown;
}

/** Feeds `chunks` as a request with these headers through the reader and reports what it decided. */
function read(headers: Record<string, string>, chunks: string[], limit = 64): Promise<Outcome> {
  const req = Readable.from(chunks.map(c => Buffer.from(c))) as unknown as IncomingMessage & { body?: unknown };
  req.headers = headers;
  return new Promise(resolve => {
    jsonBody(limit)(req, {} as ServerResponse, err => resolve({ err: err as Outcome['err'], body: req.body }));
  });
}

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('lib/json-body', function () {
  it('parses a JSON object sent in several chunks', async function () {
    const out = await read({ ...JSON_HEADERS, 'content-length': '13' }, ['{"a":', '1,"b":2}']);
    expect(out.err).to.equal(undefined);
    expect(out.body).to.deep.equal({ a: 1, b: 2 });
  });

  it('accepts a charset=utf-8 parameter and +json types', async function () {
    const out = await read(
      { 'content-type': 'application/vnd.api+json; charset=UTF-8', 'transfer-encoding': 'chunked' },
      ['{}'],
    );
    expect(out.err).to.equal(undefined);
    expect(out.body).to.deep.equal({});
  });

  it('leaves a request without a body alone', async function () {
    const out = await read({ ...JSON_HEADERS, 'content-length': '0' }, []);
    expect(out).to.deep.equal({ err: undefined, body: undefined });
  });

  it('does not read a body of another type (the gateway answers 415)', async function () {
    const out = await read({ 'content-type': 'text/plain', 'content-length': '2' }, ['{}']);
    expect(out).to.deep.equal({ err: undefined, body: undefined });
  });

  it('refuses a declared length over the limit before reading it (413)', async function () {
    const out = await read({ ...JSON_HEADERS, 'content-length': '1000' }, ['{}']);
    expect(out.err).to.include({ status: 413, type: 'entity.too.large' });
  });

  it('refuses a chunked body that grows over the limit (413)', async function () {
    const out = await read({ ...JSON_HEADERS, 'transfer-encoding': 'chunked' }, ['{"a":"', 'x'.repeat(100), '"}']);
    expect(out.err).to.include({ status: 413, type: 'entity.too.large' });
  });

  it('refuses invalid JSON and bare JSON values (400)', async function () {
    for (const text of ['{bad', '"string"', '42', 'null']) {
      const out = await read({ ...JSON_HEADERS, 'content-length': String(text.length) }, [text]);
      expect(out.err, text).to.include({ status: 400, type: 'entity.parse.failed' });
    }
  });

  it('refuses other charsets and compressed bodies (415)', async function () {
    const latin = await read({ 'content-type': 'application/json; charset=latin1', 'content-length': '2' }, ['{}']);
    expect(latin.err).to.include({ status: 415, type: 'charset.unsupported' });
    const gzip = await read({ ...JSON_HEADERS, 'content-encoding': 'gzip', 'content-length': '2' }, ['{}']);
    expect(gzip.err).to.include({ status: 415, type: 'encoding.unsupported' });
  });

  it('refuses a body shorter than its Content-Length (400)', async function () {
    const out = await read({ ...JSON_HEADERS, 'content-length': '10' }, ['{}']);
    expect(out.err).to.include({ status: 400, type: 'request.size.invalid' });
  });
});
