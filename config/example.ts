import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { ConfigSchema } from '../schemas/config';
import { envName } from './load';

/**
 * Renders config/cascade.example.yaml from the schema, so the documented keys, defaults and
 * env names can never drift from what the loader accepts (a unit test compares the file).
 */
export function renderExampleConfig(): string {
  const lines = [
    '# Cascade configuration: every key with its default.',
    '# Precedence: defaults < this file (CASCADE_CONFIG or --config) < environment variables.',
    '# Unknown keys are rejected at boot with the key named.',
    '',
  ];
  render(ConfigSchema, [], lines, '');
  return lines.join('\n') + '\n';
}

function render(schema: TObject, path: string[], lines: string[], indent: string): void {
  for (const [key, sub] of Object.entries(schema.properties) as [string, TSchema][]) {
    const keys = [...path, key];
    const doc = [sub.description, `env ${envName(keys)}`].filter(Boolean).join(' · ');
    if (sub[Kind] === 'Object' && 'properties' in sub) {
      lines.push(`${indent}${key}:`);
      render(sub as TObject, keys, lines, indent + '  ');
      lines.push('');
      continue;
    }
    lines.push(`${indent}# ${doc}`);
    lines.push(`${indent}${key}: ${stringify(sub.default, { collectionStyle: 'flow' }).trimEnd()}`);
  }
}
