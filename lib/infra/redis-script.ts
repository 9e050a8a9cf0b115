/**
 * A Lua script called by its SHA1 (EVALSHA), so its text does not cross the connection with every call:
 * the heartbeat's script is some 2 kB, sent thousands of times a second. Redis answers NOSCRIPT when it
 * does not hold the script yet (first use, a restart, SCRIPT FLUSH); the call is then made once with
 * EVAL, which also loads it. Keys are prefixed with the namespace like any other command's.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export class RedisScript {
  readonly source: string;
  readonly sha: string;
  private readonly keyCount: number;

  constructor(source: string, keyCount: number) {
    this.source = source;
    this.keyCount = keyCount;
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with `keyCount` keys first, then the arguments. */
  run(redis: Redis, ...keysAndArgs: Array<string | number>): Promise<unknown> {
    return redis.evalsha(this.sha, this.keyCount, ...keysAndArgs).catch((err: Error) => {
      if (!err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, this.keyCount, ...keysAndArgs);
    });
  }
}
