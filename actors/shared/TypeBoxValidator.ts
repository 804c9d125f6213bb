import { Kind, type TSchema } from '@sinclair/typebox';
import { Validators } from 'moleculer';
import { validator } from '../../schemas/validate';

/**
 * Moleculer validator for TypeBox schemas: an action's `params` is the very schema the gateway
 * and the docs use, so the broker checks messages against the single source of truth. A failed
 * check becomes Moleculer's VALIDATION_ERROR whose data are our `{path, message}` field errors.
 */
export class TypeBoxValidator extends Validators.Base {
  constructor() {
    super({});
  }

  compile(schema: Record<string, unknown>) {
    // Moleculer's internal $node service declares fastest-validator params; those are its own
    // business (and trusted), so only TypeBox schemas are checked here.
    if (!(Kind in schema)) return () => true;
    const v = validator(schema as TSchema);
    return (params: Record<string, unknown>) => (v.check(params) ? true : (v.errors(params) as unknown as boolean));
  }

  validate(params: Record<string, unknown>, schema: Record<string, unknown>): boolean {
    validator(schema as TSchema).parse(params);
    return true;
  }

  convertSchemaToMoleculer(schema: unknown): Record<string, unknown> {
    return schema as Record<string, unknown>;
  }
}
