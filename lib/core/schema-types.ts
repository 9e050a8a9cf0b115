/**
 * Types derived from JSON Schemas, so an action's params type cannot drift from the schema ajv checks:
 * `ParamsOf<typeof schema>` is what a handler receives after validation (fields with a `default` are
 * always present). Covers the keywords the actions use: type, enum, const, anyOf, items, properties,
 * required, default.
 */
import type { Context, Service, ServiceSchema, ServiceSettingSchema } from 'moleculer';
import type { JsonSchema, ObjectSchema } from './validation.ts';

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type InferEach<A> = A extends unknown ? Infer<A> : never;

/** The TypeScript type of a value that passes schema S. */
export type Infer<S> = S extends { enum: readonly (infer E)[] }
  ? E
  : S extends { const: infer C }
    ? C
    : S extends { anyOf: readonly (infer A)[] }
      ? InferEach<A>
      : S extends { type: 'string' }
        ? string
        : S extends { type: 'integer' } | { type: 'number' }
          ? number
          : S extends { type: 'boolean' }
            ? boolean
            : S extends { type: 'null' }
              ? null
              : S extends { type: 'array'; items: infer I }
                ? Infer<I>[]
                : S extends { type: 'object'; properties: infer P; required: readonly (infer R)[] }
                  ? InferObject<P, R>
                  : S extends { type: 'object' }
                    ? Record<string, unknown>
                    : unknown;

type PresentKeys<P, R> =
  Extract<keyof P, R> | { [K in keyof P]: P[K] extends { default: unknown } ? K : never }[keyof P];

type InferObject<P, R> = Simplify<
  { [K in keyof P as K extends PresentKeys<P, R> ? K : never]: Infer<P[K]> } & {
    [K in keyof P as K extends PresentKeys<P, R> ? never : K]?: Infer<P[K]>;
  }
>;

/** The params a handler receives for an action declared with `objectSchema(...)`. */
export type ParamsOf<S> = S extends ObjectSchema<infer P, infer R> ? InferObject<P, R> : never;

/** An action of a service whose `this` is TThis, its ctx.params typed from its schema. */
export interface ActionDef<TThis, S extends JsonSchema, TMeta extends object, TResult> {
  params: S;
  visibility?: 'published' | 'public' | 'protected' | 'private';
  handler(this: TThis, ctx: Context<ParamsOf<S>, TMeta>): TResult;
}

/**
 * `const action = actionFor<LicenseThis>()`, then `action({ params: objectSchema(...), handler(ctx) {...} })`:
 * the handler's `this` is the service and its ctx.params the schema's type.
 */
export function actionFor<TThis extends Service, TMeta extends object = Record<string, unknown>>() {
  return <S extends JsonSchema, TResult>(def: ActionDef<TThis, S, TMeta, TResult>) => def;
}

/** The schema of a service whose `this` is TThis (its state.ts type): actions and hooks see it typed. */
export type ServiceSchemaOf<TThis extends Service> = ServiceSchema<
  ServiceSettingSchema,
  Record<string, never>,
  Record<string, never>,
  TThis
>;
