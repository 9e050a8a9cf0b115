/**
 * Assertions on the reference's error format, shared by every suite:
 * `{"error": {"code", "message", "details"}}` with the expected status and code.
 */
import { expect } from 'chai';
import type { HttpAnswer } from './system.ts';

export interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export function expectError(res: HttpAnswer, status: number, code?: string): ErrorBody {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  expect(res.body, res.text).to.have.all.keys('error');
  expect(res.body.error).to.have.all.keys('code', 'message', 'details');
  if (code !== undefined) expect(res.body.error.code, res.text).to.equal(code);
  expect(res.body.error.message).to.be.a('string').and.not.empty;
  expect(res.body.error.details).to.be.an('object');
  return res.body.error as ErrorBody;
}

/** Polls `find` until it returns something (events arrive asynchronously); fails after ~2 s. */
export async function eventually<T>(find: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i += 1) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
