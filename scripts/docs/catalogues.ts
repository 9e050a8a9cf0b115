/**
 * docs/errors.md and docs/events.md are rendered from the catalogues in lib/core (the code is the
 * source of truth; a test fails when a doc is out of step). `npm run docs` writes them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../../lib/core/error-codes.ts';
import { EVENTS } from '../../lib/core/events.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, { status, meaning }]) => `| \`${code}\` | ${status} | ${meaning} |`,
  );
  return [
    '# Error codes',
    '',
    'Every error answer is `{"error": {"code", "message", "details"}}` with the status below, except the',
    'reference\'s API-key 401, whose body is `{"error": "Invalid or missing API key", "code": "INVALID_API_KEY",',
    '"status": 401}`. `details` names the field at fault and the reason (`{"field": "license_key", "reason":',
    '"format_invalid"}`) where there is one. 5xx answers never carry internals.',
    '',
    'Generated from `lib/core/error-codes.ts` by `npm run docs`; do not edit by hand.',
    '',
    '| code | status | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** The payload type of each event, read from the EventPayloads interface's source text. */
function payloadTypes(): Map<string, string> {
  const source = readFileSync(`${ROOT}lib/core/events.ts`, 'utf8');
  const body = source.slice(source.indexOf('export interface EventPayloads {'), source.indexOf('\n}\n'));
  const types = new Map<string, string>();
  for (const match of body.matchAll(/^ {2}'([a-z_.]+)': ([^;]+(?:;[^'\n]*)*?);$/gm)) types.set(match[1]!, match[2]!);
  return types;
}

export function renderEventsDoc(): string {
  const types = payloadTypes();
  const rows = Object.entries(EVENTS).map(
    ([name, spec]) =>
      `| \`${name}\` | ${spec.when} | ${spec.delivery} | \`${(types.get(name) ?? '?').replaceAll('|', '\\|')}\` |`,
  );
  return [
    '# Events',
    '',
    'Facts the services announce on the broker (Moleculer events). `emit` reaches one node of each',
    'listening service; `broadcast` reaches every listening node. Payload ids are integers, as in the API.',
    '`DeviceFact` is `{ license_id, license_key, activation_id, hardware_hash }`.',
    '',
    'Generated from `lib/core/events.ts` by `npm run docs`; do not edit by hand.',
    '',
    '| event | when | delivery | payload |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export const GENERATED_DOCS: Record<string, () => string> = {
  'docs/errors.md': renderErrorsDoc,
  'docs/events.md': renderEventsDoc,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [file, render] of Object.entries(GENERATED_DOCS)) {
    writeFileSync(`${ROOT}${file}`, render());
    process.stdout.write(`wrote ${file}\n`);
  }
}
