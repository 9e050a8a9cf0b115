/**
 * Figures asked from the services that own them, with a short deadline: an owner that cannot answer
 * gives null (live stats show it as null), never an error for the reader.
 */
import type { MonitoringThis } from './state.ts';

const QUERY_TIMEOUT_MS = 2000;

/** True when some node offers the action now (asking for a missing one would only log a warning). */
export function isActionAvailable(svc: MonitoringThis, action: string): boolean {
  const registry = svc.broker.registry as unknown as { actions: { isAvailable(name: string): boolean } };
  return registry.actions.isAvailable(action);
}

export function askOwner<T>(svc: MonitoringThis, action: string): Promise<T | null> {
  if (!isActionAvailable(svc, action)) return Promise.resolve(null);
  return svc.broker
    .call<T, Record<string, never>>(action, {}, { timeout: QUERY_TIMEOUT_MS, retries: 0 })
    .catch(() => null);
}

/** The live session count into the active_sessions gauge; answers it (null when unknown). */
export async function refreshSessionsGauge(svc: MonitoringThis): Promise<number | null> {
  const sessions = await askOwner<{ count: number }>(svc, 'license.activeSessions');
  if (sessions) svc.metrics.activeSessions.set(sessions.count);
  return sessions?.count ?? null;
}
