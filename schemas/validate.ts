import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { CascadeError, type FieldError } from './errors';

/**
 * Compiles a schema once; `parse` returns the value typed by the same schema or throws
 * VALIDATION_FAILED naming each bad field. This is the only path from untrusted input to a typed
 * value, so the runtime check and the TypeScript type can never drift apart.
 */
export interface Validator<S extends TSchema> {
  readonly schema: S;
  check(value: unknown): value is Static<S>;
  errors(value: unknown): FieldError[];
  parse(value: unknown): Static<S>;
}

const cache = new WeakMap<TSchema, TypeCheck<TSchema>>();

export function validator<S extends TSchema>(schema: S): Validator<S> {
  let compiled = cache.get(schema) as TypeCheck<S> | undefined;
  if (!compiled) {
    compiled = TypeCompiler.Compile(schema);
    cache.set(schema, compiled);
  }
  const check = compiled;
  const errors = (value: unknown): FieldError[] =>
    [...check.Errors(value)].slice(0, 20).map((e) => ({ path: e.path || '/', message: e.message }));
  return {
    schema,
    check: (value: unknown): value is Static<S> => check.Check(value),
    errors,
    parse(value: unknown): Static<S> {
      if (check.Check(value)) return value;
      throw new CascadeError('VALIDATION_FAILED', undefined, errors(value));
    },
  };
}
