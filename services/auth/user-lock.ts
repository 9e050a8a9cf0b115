/**
 * "Not the last admin" is a check over several documents; without transactions, changes of admin users
 * are serialised by a short Redis lock (shared by every replica) so two admins deleting each other
 * cannot both succeed.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ServiceUnavailableError } from '../../lib/core/errors.ts';

const USER_LOCK_KEY = 'lock:admin-users';

// Only the holder's own token releases the lock: a holder that outlived the lock's expiry must not
// release the lock of the next one.
const UNLOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class UserLock {
  private readonly redis: Redis;

  constructor(redis: Redis) {
    this.redis = redis;
  }

  /** Runs `work` while holding the lock; 503 when it cannot be taken within 3 s or Redis is down. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const token = randomBytes(16).toString('base64url');
    const deadline = Date.now() + 3000;
    for (;;) {
      let acquired: string | null;
      try {
        acquired = await this.redis.set(USER_LOCK_KEY, token, 'PX', 10_000, 'NX');
      } catch {
        throw new ServiceUnavailableError();
      }
      if (acquired === 'OK') break;
      if (Date.now() > deadline)
        throw new ServiceUnavailableError('Another change of admin users is in progress, retry');
      await new Promise(resolve => setTimeout(resolve, 25));
    }
    try {
      return await work();
    } finally {
      await this.redis.eval(UNLOCK_SCRIPT, 1, USER_LOCK_KEY, token).catch(() => undefined);
    }
  }
}
