/**
 * Health probes must answer fast even when a dependency hangs: a probe that has not succeeded within
 * its deadline counts as down.
 */

/** True when `probe` resolves to true within `timeoutMs`; false on error, false or timeout. */
export async function succeedsWithin(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>(resolve => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([probe().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
