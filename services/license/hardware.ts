/**
 * Hardware identity. Clients send a string hash (`hardware_hash`), or, from the reference's C# example,
 * a HardwareInfo object (`hardware_id`). An object is reduced canonically (keys sorted at every level,
 * then SHA-256) so the same machine always yields the same hash whatever the key order on the wire.
 */
import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map(k => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function hardwareHashOf(hardware: string | Record<string, unknown>): string {
  if (typeof hardware === 'string') return hardware;
  return createHash('sha256')
    .update(JSON.stringify(canonical(hardware)))
    .digest('hex');
}
