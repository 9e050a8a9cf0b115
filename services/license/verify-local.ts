/**
 * license.verify answered in the caller's process when the answer is in memory (lib/infra/local-answers.ts):
 * the same verdict, counters and series as the action, without the broker's call machinery. Anything
 * not warm (no view, no release list, a session to admit) returns undefined and goes through the action.
 */
import type { ParamsOf } from '../../lib/core/schema-types.ts';
import { registerLocalAnswerer, unregisterLocalAnswerer } from '../../lib/infra/local-answers.ts';
import type { VerifyAnswer } from './contract.ts';
import { VERIFY_PARAMS } from './client.actions.ts';
import type { LicenseThis } from './state.ts';

const ACTION = 'license.verify';
const VERIFY_OPTIONS = { forceSession: false } as const;

export function answerVerifiesLocally(svc: LicenseThis): void {
  registerLocalAnswerer<ParamsOf<typeof VERIFY_PARAMS>, VerifyAnswer>(svc.broker, ACTION, {
    schema: VERIFY_PARAMS,
    answer(p) {
      const verdict = svc.verifier.warmAnswer(p.license_key, p.hardware_hash, p.app_version, VERIFY_OPTIONS);
      if (!verdict) return undefined;
      svc.counters.verifications[verdict.answer.code].inc();
      svc.verifySeries.add();
      return verdict.answer;
    },
  });
}

export function stopAnsweringVerifiesLocally(svc: LicenseThis): void {
  unregisterLocalAnswerer(svc.broker, ACTION);
}
