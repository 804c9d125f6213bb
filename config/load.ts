import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type Config } from '../schemas/config';

/**
 * The only module that reads process.env. Order: defaults < file < environment; the result is
 * validated as a whole and a bad key is named with where it came from.
 */

export class ConfigError extends Error {
  constructor(message: string) {
    super(`config: ${message}`);
    this.name = 'ConfigError';
  }
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export interface LoadOptions {
  /** YAML file; default: $CASCADE_CONFIG, else none. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied last (tests, CLI flags). */
  overrides?: DeepPartial<Config>;
}

/** The env variable for a config path: ['http','maxMessageBytes'] -> CASCADE_HTTP_MAX_MESSAGE_BYTES. */
export function envName(keys: string[]): string {
  return 'CASCADE_' + keys.map((k) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

function isObjectSchema(schema: TSchema): schema is TObject {
  return schema[Kind] === 'Object';
}

function parseEnvValue(schema: TSchema, raw: string, name: string): unknown {
  const kind = schema[Kind];
  if (kind === 'Integer' || kind === 'Number') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a number`);
    return n;
  }
  if (kind === 'Boolean') {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a boolean`);
  }
  if (kind === 'Array' && (schema as unknown as { items: TSchema }).items[Kind] !== 'Object') {
    return raw.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (kind === 'Array' || kind === 'Record' || kind === 'Object') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new ConfigError(`${name} must be JSON`);
    }
  }
  return raw;
}

function applyEnv(schema: TObject, target: Record<string, unknown>, env: NodeJS.ProcessEnv, prefix: string[]): void {
  for (const [key, sub] of Object.entries(schema.properties)) {
    const keys = [...prefix, key];
    if (isObjectSchema(sub)) {
      const child = (target[key] ??= {}) as Record<string, unknown>;
      applyEnv(sub, child, env, keys);
      continue;
    }
    const name = envName(keys);
    const raw = env[name];
    if (raw !== undefined) target[key] = parseEnvValue(sub, raw, name);
  }
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(over)) {
    const cur = base[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else if (v !== undefined) {
      base[k] = v;
    }
  }
  return base;
}

/** `over` laid on a copy of `base` (objects merged key by key, arrays and scalars replaced). */
export function mergeConfig<T>(base: DeepPartial<T>, over: DeepPartial<T>): DeepPartial<T> {
  return deepMerge(structuredClone(base) as Record<string, unknown>, structuredClone(over) as Record<string, unknown>) as DeepPartial<T>;
}

function readFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const doc: unknown = parseYaml(text);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${file} must hold a mapping at the top`);
  return doc as Record<string, unknown>;
}

/** The default location of the worker built by `npm run setup` (scripts/build-mediasoup-worker.sh). */
export function cachedWorkerBin(env: NodeJS.ProcessEnv = process.env, mediasoupVersion = mediasoupPackageVersion()): string {
  const cacheDir = env.CASCADE_CACHE_DIR || path.join(env.HOME || os.homedir(), '.cache', 'cascade');
  return path.join(cacheDir, 'mediasoup-worker', mediasoupVersion, 'mediasoup-worker');
}

function mediasoupPackageVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('mediasoup/package.json') as { version: string }).version;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.CASCADE_CONFIG;
  const merged: Record<string, unknown> = {};
  if (file) deepMerge(merged, readFile(file));
  applyEnv(ConfigSchema, merged, env, []);
  if (options.overrides) deepMerge(merged, options.overrides as Record<string, unknown>);

  const source = file ? `${file} or environment` : 'environment';
  const firstUnknown = findUnknownKey(ConfigSchema, merged, []);
  if (firstUnknown) throw new ConfigError(`unknown key "${firstUnknown}" (from ${source})`);

  const withDefaults = Value.Default(ConfigSchema, merged) as Record<string, unknown>;
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const e = errors[0]!;
    const keys = e.path.split('/').filter(Boolean);
    throw new ConfigError(`${keys.join('.') || '(root)'}: ${e.message} (env ${envName(keys)}, from ${source})`);
  }
  return resolveDerived(withDefaults as Config, env);
}

function findUnknownKey(schema: TObject, value: Record<string, unknown>, prefix: string[]): string | undefined {
  for (const [k, v] of Object.entries(value)) {
    const sub = schema.properties[k];
    if (!sub) return [...prefix, k].join('.');
    if (isObjectSchema(sub) && v && typeof v === 'object' && !Array.isArray(v)) {
      const found = findUnknownKey(sub, v as Record<string, unknown>, [...prefix, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/** Values whose default depends on the machine. */
function resolveDerived(config: Config, env: NodeJS.ProcessEnv): Config {
  if (!config.node.id) config.node.id = `${os.hostname()}-${process.pid}`;
  if (config.mediasoup.workers === 0) config.mediasoup.workers = Math.max(1, os.cpus().length);
  if (!config.mediasoup.workerBin) config.mediasoup.workerBin = env.MEDIASOUP_WORKER_BIN || cachedWorkerBin(env);
  if (config.rtc.minPort > config.rtc.maxPort) throw new ConfigError('rtc.minPort must not exceed rtc.maxPort');
  return config;
}
