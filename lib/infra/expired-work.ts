/**
 * Work nobody waits for any more is not started. The gateway puts the absolute end of a request's
 * deadline into ctx.meta (`deadlineAt`, Unix ms), which travels with every call the request makes; an
 * action whose call arrives after that end answers at once with REQUEST_SKIPPED instead of running.
 *
 * Why: a dependency that hangs (NATS or a node paused, a database that stalls) lets calls pile up in
 * buffers. When it comes back, they arrive all at once, long after their callers answered 503. Running
 * them would keep the services busy with dead work while the new calls wait and time out in turn,
 * and the system would not recover although the dependency is back (the fault matrix measured this).
 *
 * Clocks: nodes compare their own clock with the gateway's, so they must be kept in step (NTP); a
 * grace of CLOCK_GRACE_MS covers ordinary skew. A node whose clock runs ahead by more than the grace
 * plus a deadline would skip everything, which shows as REQUEST_SKIPPED answers and in its metrics.
 */
import { Errors, type Context } from 'moleculer';

/** The ctx.meta field the gateway sets (services/api/request-pipeline.ts). */
export interface DeadlineMeta {
  deadlineAt?: number;
}

export const CLOCK_GRACE_MS = 250;

export const ExpiredWorkMiddleware = {
  name: 'ExpiredWork',
  localAction(next: (ctx: Context) => Promise<unknown>, action: { name: string }) {
    return function expiredWork(ctx: Context): Promise<unknown> {
      const deadlineAt = (ctx.meta as DeadlineMeta).deadlineAt;
      if (typeof deadlineAt === 'number' && Date.now() > deadlineAt + CLOCK_GRACE_MS) {
        return Promise.reject(new Errors.RequestSkippedError({ action: action.name, nodeID: ctx.nodeID ?? '' }));
      }
      return next(ctx);
    };
  },
};
