/**
 * What other services may rely on from the device service (the owner of activations): the shape of
 * an activation in its answers.
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
