/**
 * What other services may rely on from the device service (the owner of activations): the shape of
 * an activation in its answers, and the layout of its heartbeat buffer, which the license service's
 * heartbeat script writes.
 */

/** An activation as the device service answers it (`device.forLicense`, `device.register`, ...). */
export interface ActivationAnswer {
  id: number;
  license_id: number;
  license_key: string;
  hardware_hash: string;
  machine_name: string;
  app_version: string;
  activated_at: string;
  last_heartbeat: string | null;
  is_active: boolean;
}

/** A machine's seat as a license's verify view needs it (`device.seatsOf`). */
export interface MachineSeat {
  id: number;
  hardware_hash: string;
  is_active: boolean;
}

/** What `device.seatsOf` answers: the seats of each license asked for, by license id (none: []). */
export type SeatsByLicense = Record<string, MachineSeat[]>;

/** What `device.register` answers: the activation, and whether this call claimed its seat. */
export interface RegistrationAnswer {
  activation: ActivationAnswer;
  created: boolean;
}

/** What `device.deactivate` answers: `changed` says whether this call freed the seat. */
export interface DeactivationAnswer {
  success: true;
  message: string;
  changed: boolean;
}

/**
 * The heartbeat buffer, the device service's and written by the license service's heartbeat script
 * (services/license/sessions.ts) in the same round trip as its rate limit and session: one Redis hash
 * under the deployment's namespace, field = the activation id in decimal, value = the heartbeat's time
 * in milliseconds since the epoch, in decimal. A writer sets the field (a later heartbeat replaces an
 * earlier one). The device service's flush job (services/device/heartbeat-buffer.ts, every 15 s) is
 * its only reader: it moves the fields to the activation records with `$max`, so an older value never
 * overwrites a newer stored one, and answers merge the fields still pending. Changing the key, the field
 * or the value means changing both sides in one release, the flush reading both layouts meanwhile.
 */
export const HEARTBEAT_BUFFER_KEY = 'heartbeats:pending';

/**
 * The write as a Lua function, for a script that does more in the same call:
 * `buffer_heartbeat(buffer_key, activation_id, at_ms)`, with HEARTBEAT_BUFFER_KEY among the script's
 * KEYS (so the namespace prefix applies) and both values as the decimal strings above.
 */
export const BUFFER_HEARTBEAT_LUA = `
local function buffer_heartbeat(buffer_key, activation_id, at_ms)
  redis.call('HSET', buffer_key, activation_id, at_ms)
end`;
