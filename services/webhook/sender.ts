/**
 * One delivery attempt over HTTP: POST the body with the Standard Webhooks headers to the address
 * that the URL policy checked (a custom `lookup` hands the connection that address, so the Host header
 * and TLS name stay the URL's host while DNS is not asked again). Redirects are not followed (a 3xx is
 * a failed attempt), the whole attempt has a deadline, and at most MAX_READ bytes of the answer are
 * read; a short excerpt is kept.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { checkedAddresses, UrlRefusal, type ResolvedAddress, type Resolver } from './url-policy.ts';

const MAX_READ = 4096;
export const EXCERPT_LENGTH = 500;
export const USER_AGENT = 'license-server-webhooks/1.0 (+Standard Webhooks)';

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  production: boolean;
  resolve: Resolver;
}

export interface SendOutcome {
  ok: boolean;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string;
}

function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as LookupFunction;
}

export async function send(req: SendRequest): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const deadline = AbortSignal.timeout(req.timeoutMs);
  let target: ResolvedAddress;
  try {
    const url = new URL(req.url);
    [target] = (await checkedAddresses(url, req.production, req.resolve)) as [ResolvedAddress];
  } catch (err) {
    const message = err instanceof UrlRefusal ? `refused: ${err.message}` : (err as Error).message;
    return { ok: false, status_code: null, error: message, duration_ms: elapsed(), response_excerpt: '' };
  }
  return new Promise<SendOutcome>(resolve => {
    const url = new URL(req.url);
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'POST',
      headers: {
        ...req.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(req.body)),
        'user-agent': USER_AGENT,
      },
      lookup: pinnedLookup(target),
      agent: false,
      signal: deadline,
    });
    let settled = false;
    const finish = (outcome: Omit<SendOutcome, 'duration_ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, duration_ms: elapsed() });
    };
    request.on('response', res => {
      const chunks: Buffer[] = [];
      let read = 0;
      const done = () => {
        const status = res.statusCode ?? 0;
        const excerpt = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_LENGTH);
        const ok = status >= 200 && status < 300;
        finish({
          ok,
          status_code: status,
          error: ok ? null : status >= 300 && status < 400 ? 'redirect not followed' : `HTTP ${status}`,
          response_excerpt: excerpt,
        });
        res.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        if (read < MAX_READ) chunks.push(chunk.subarray(0, MAX_READ - read));
        read += chunk.length;
        if (read >= MAX_READ) done();
      });
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    request.on('error', err => {
      const timedOut = deadline.aborted;
      finish({
        ok: false,
        status_code: null,
        error: timedOut ? `timeout after ${req.timeoutMs} ms` : describeError(err),
        response_excerpt: '',
      });
    });
    request.end(req.body);
  });
}

function describeError(err: Error & { code?: string }): string {
  return err.code ? `${err.code}: ${err.message}` : err.message;
}
