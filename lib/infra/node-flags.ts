/**
 * The V8 flags every server node runs with. They cannot be set from inside the process: V8 reads them
 * when it sets up the heap, and Node refuses them in NODE_OPTIONS, so each place that starts a node
 * passes them on the command line (the Dockerfile's CMD, `npm start`, scripts/start-nodes.ts, the bench
 * and the fault matrix), and the node says at start when they are missing.
 *
 * `--no-memory-reducer`: when a node goes quiet after a load, V8's memory reducer runs up to three
 * compacting full collections to hand memory back: 90-600 ms of main-thread pause each on the bench's
 * shared core, and every request that arrives meanwhile waits. It also shrinks the heap's allowance to
 * the live size, so the next regular full collection comes within seconds of the load's return. For a
 * server with a ~50 MB heap whose answers must stay within milliseconds, the 10-20 MB it gives back are
 * not worth it (docs/performance.md, "The memory reducer").
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--no-memory-reducer'];

/** The start-up warning of a node started without some of the flags; undefined when it has them all. */
export function missingFlagsWarning(execArgv: readonly string[] = process.execArgv): string | undefined {
  const missing = SERVER_NODE_FLAGS.filter(flag => !execArgv.includes(flag)).join(' ');
  if (!missing) return undefined;
  return `Started without ${missing}: run node ${missing} scripts/start.ts (lib/infra/node-flags.ts)`;
}
