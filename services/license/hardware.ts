/**
 * Hardware identity. Clients send a string hash (`hardware_hash`), or, from the reference's C# example,
 * a HardwareInfo object (`hardware_id`). An object is reduced canonically (keys sorted at every level,
 * then SHA-256) so the same machine always yields the same hash whatever the key order on the wire.
 * A HardwareInfo is a handful of fields; an object nested deeper than MAX_DEPTH or holding more than
 * MAX_VALUES values is refused (400) before it can cost a deep recursion or much hashing.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../../lib/core/errors.ts';

export const HARDWARE_INFO_LIMITS = { maxDepth: 8, maxValues: 512 } as const;

function tooLarge(reason: 'too_deep' | 'too_large'): ValidationError {
  const what = reason === 'too_deep' ? `nested deeper than ${HARDWARE_INFO_LIMITS.maxDepth} levels` : 'too large';
  return new ValidationError(`hardware_id is ${what}`, { field: 'hardware_id', reason });
}

function canonical(value: unknown, depth: number, budget: { values: number }): unknown {
  budget.values += 1;
  if (budget.values > HARDWARE_INFO_LIMITS.maxValues) throw tooLarge('too_large');
  if (value === null || typeof value !== 'object') return value;
  if (depth >= HARDWARE_INFO_LIMITS.maxDepth) throw tooLarge('too_deep');
  if (Array.isArray(value)) return value.map(item => canonical(item, depth + 1, budget));
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map(k => [k, canonical((value as Record<string, unknown>)[k], depth + 1, budget)]),
  );
}

export function hardwareHashOf(hardware: string | Record<string, unknown>): string {
  if (typeof hardware === 'string') return hardware;
  return createHash('sha256')
    .update(JSON.stringify(canonical(hardware, 0, { values: 0 })))
    .digest('hex');
}
