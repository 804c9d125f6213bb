import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kind, type TObject, type TSchema } from '@sinclair/typebox';
import { parse, parseAllDocuments } from 'yaml';
import { envName, loadConfig } from '../../config/load';
import { ConfigSchema, type Config } from '../../schemas/config';

/**
 * deploy/ cannot run here (no Docker, no Kubernetes), so this checks what can drift: every file
 * parses, every CASCADE_* name it mentions is one the config loader reads, and each node's
 * environment plus the shared cascade.yaml loads into a valid config whose ports are published.
 */
const ROOT = path.join(__dirname, '..', '..');
const DEPLOY = path.join(ROOT, 'deploy');
const K8S = path.join(DEPLOY, 'k8s');

/** The env names config/load.ts reads: one per leaf key (walked like applyEnv), plus the few it reads directly. */
function validEnvNames(): Set<string> {
  const names = new Set<string>();
  const walk = (schema: TObject, prefix: string[]) => {
    for (const [key, sub] of Object.entries(schema.properties) as [string, TSchema][]) {
      if (sub[Kind] === 'Object' && 'properties' in sub) walk(sub as TObject, [...prefix, key]);
      else names.add(envName([...prefix, key]));
    }
  };
  walk(ConfigSchema, []);
  const loader = readFileSync(path.join(ROOT, 'config', 'load.ts'), 'utf8');
  for (const match of loader.matchAll(/env\.(CASCADE_[A-Z0-9_]+)/g)) names.add(match[1] as string);
  return names;
}

const VALID = validEnvNames();
const cascadeNames = (text: string): string[] => [...new Set(text.match(/\bCASCADE_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])];
const read = (file: string) => readFileSync(file, 'utf8');
const deployFiles = (): string[] => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(DEPLOY);
  return files;
};

/** loadConfig with a YAML text as the file. */
function loadWith(yamlText: string, env: Record<string, string>): Config {
  const dir = mkdtempSync(path.join(tmpdir(), 'cascade-deploy-'));
  try {
    const file = path.join(dir, 'cascade.yaml');
    writeFileSync(file, yamlText);
    return loadConfig({ file, env });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/: env names', () => {
  it('knows the config env names (sanity of the walk)', () => {
    expect(VALID).toContain('CASCADE_CLUSTER_REDIS_URL');
    expect(VALID).toContain('CASCADE_RTC_ANNOUNCED_IP');
    expect(VALID).toContain('CASCADE_CLUSTER_REGION_DISTANCES');
    expect(VALID).toContain('CASCADE_CONFIG');
    expect(VALID).not.toContain('CASCADE_RTC');
    expect(VALID).not.toContain('CASCADE_PUBLIC_IP');
  });

  it.each(deployFiles().map((f) => [path.relative(ROOT, f), f]))('%s mentions only CASCADE_* names the config reads', (_rel, file) => {
    const unknown = cascadeNames(read(file)).filter((name) => !VALID.has(name));
    expect(unknown).toEqual([]);
  });
});

describe('deploy/cascade.yaml', () => {
  it('loads as a config file with every key known', () => {
    const config = loadConfig({ file: path.join(DEPLOY, 'cascade.yaml'), env: {} });
    expect(config.cluster.regionDistances).toEqual({ eu: { us: 80, ap: 160 }, us: { ap: 120 } });
    expect(config.mediasoup.workers).toBe(2);
  });

  it('rejects an unknown key (the check above can fail)', () => {
    const text = read(path.join(DEPLOY, 'cascade.yaml')).replace('cluster:\n', 'cluster:\n  heartbeatIntervalSecs: 1\n');
    expect(() => loadWith(text, {})).toThrow(/unknown key "cluster.heartbeatIntervalSecs"/);
  });
});

// ------------------------------------------------------------------------------------------------
// docker-compose
// ------------------------------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: string[];
  volumes?: string[];
}

/** Compose's ${NAME}, ${NAME:-default}, ${NAME:?error}: defaults kept, required ones given a test value. */
function substitute(value: string): string {
  const given: Record<string, string> = { PUBLIC_IP: '203.0.113.7' };
  return value.replace(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) =>
    op && op.endsWith('-') ? (arg ?? '') : (given[name] ?? `test-${name.toLowerCase()}`),
  );
}

function composeEnv(service: ComposeService): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw) ? raw.map((line) => line.split(/=(.*)/s) as [string, string]) : Object.entries(raw);
  for (const [name, value] of entries) env[name] = substitute(String(value ?? ''));
  return env;
}

/** "44400-44401:44400-44401/udp" -> each published {host, container, proto}. */
function publishedPorts(service: ComposeService): { host: number; container: number; proto: string }[] {
  const out: { host: number; container: number; proto: string }[] = [];
  for (const spec of service.ports ?? []) {
    const m = /^(?:[\d.]+:)?(\d+)(?:-(\d+))?:(\d+)(?:-(\d+))?(?:\/(udp|tcp))?$/.exec(spec);
    if (!m) throw new Error(`cannot read port spec ${spec}`);
    const hostLo = Number(m[1]);
    const hostHi = Number(m[2] ?? m[1]);
    const contLo = Number(m[3]);
    const contHi = Number(m[4] ?? m[3]);
    expect(hostHi - hostLo).toBe(contHi - contLo);
    for (let i = 0; i <= hostHi - hostLo; i++) out.push({ host: hostLo + i, container: contLo + i, proto: m[5] ?? 'tcp' });
  }
  return out;
}

describe('deploy/docker-compose.yml', () => {
  const compose = parse(read(path.join(DEPLOY, 'docker-compose.yml')), { merge: true }) as { services: Record<string, ComposeService> };
  const cascadeServices = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('cascade'));

  it('has three Cascade nodes (eu, us, ap) and NATS with JetStream, Redis, PostgreSQL', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['cascade-ap', 'cascade-eu', 'cascade-us', 'nats', 'postgres', 'redis']);
    expect((compose.services.nats as { command: string[] }).command).toContain('-js');
    expect(cascadeServices).toHaveLength(3);
  });

  it.each(cascadeServices)('%s: its environment and deploy/cascade.yaml load into a valid config', (_name, service) => {
    const env = composeEnv(service);
    expect(Object.keys(env).filter((n) => n.startsWith('CASCADE_') && !VALID.has(n))).toEqual([]);
    // The mounted file is the one CASCADE_CONFIG names.
    expect(service.volumes).toContain(`./cascade.yaml:${env.CASCADE_CONFIG}:ro`);
    const config = loadConfig({ file: path.join(DEPLOY, 'cascade.yaml'), env });
    expect(config.cluster.transporter).toBe('nats://nats:4222');
    expect(config.cluster.redisUrl).toBe('redis://redis:6379');
    expect(config.database.url).toMatch(/^postgres:\/\/cascade:cascade@postgres:5432\/cascade$/);
    expect(config.rtc.announcedIp).toBe('203.0.113.7');
    expect(config.node.roles).toEqual(['gateway', 'media', 'egress']);
  });

  it('publishes each node’s WebRtcServer, pipe and HTTP ports one to one, without overlaps', () => {
    const regions: string[] = [];
    const taken = new Map<string, string>();
    for (const [name, service] of cascadeServices) {
      const config = loadConfig({ file: path.join(DEPLOY, 'cascade.yaml'), env: composeEnv(service) });
      regions.push(config.node.region);
      const ports = publishedPorts(service);
      const published = (port: number, proto: string) => ports.some((p) => p.container === port && p.proto === proto && p.host === port);
      for (let i = 0; i < config.mediasoup.workers; i++) {
        expect([name, config.rtc.port + i, published(config.rtc.port + i, 'udp')]).toEqual([name, config.rtc.port + i, true]);
        if (config.rtc.enableTcp) expect(published(config.rtc.port + i, 'tcp')).toBe(true);
      }
      for (let port = config.rtc.minPort; port <= config.rtc.maxPort; port++) expect(published(port, 'udp')).toBe(true);
      expect(ports.some((p) => p.container === config.http.port && p.proto === 'tcp')).toBe(true);
      for (const p of ports) {
        const key = `${p.host}/${p.proto}`;
        expect([key, taken.get(key)]).toEqual([key, undefined]);
        taken.set(key, name);
      }
    }
    expect(regions.sort()).toEqual(['ap', 'eu', 'us']);
  });
});

// ------------------------------------------------------------------------------------------------
// Dockerfile
// ------------------------------------------------------------------------------------------------

describe('deploy/Dockerfile', () => {
  const text = read(path.join(DEPLOY, 'Dockerfile'));

  it('builds on Debian bookworm Node 24 and ships deploy/cascade.yaml where CASCADE_CONFIG points', () => {
    expect(text).toMatch(/^FROM node:24-bookworm AS build$/m);
    expect(text).toMatch(/^FROM node:24-bookworm-slim$/m);
    expect(text).toContain('scripts/build-mediasoup-worker.sh');
    expect(text).toContain('COPY deploy/cascade.yaml /etc/cascade/cascade.yaml');
    expect(text).toMatch(/CASCADE_CONFIG=\/etc\/cascade\/cascade.yaml/);
  });
});

// ------------------------------------------------------------------------------------------------
// Kubernetes
// ------------------------------------------------------------------------------------------------

interface K8sDoc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: { template?: { spec: PodSpec } };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface PodSpec {
  hostNetwork?: boolean;
  containers: { name: string; image: string; env?: EnvVar[]; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes?: { name: string; configMap?: { name: string } }[];
}

function k8sDocs(): { file: string; doc: K8sDoc }[] {
  const out: { file: string; doc: K8sDoc }[] = [];
  for (const name of readdirSync(K8S).filter((f) => f.endsWith('.yaml')).sort()) {
    for (const doc of parseAllDocuments(read(path.join(K8S, name)))) {
      expect([name, doc.errors.map((e) => e.message)]).toEqual([name, []]);
      const value = doc.toJS() as K8sDoc | null;
      if (value) out.push({ file: name, doc: value });
    }
  }
  return out;
}

describe('deploy/k8s', () => {
  const docs = k8sDocs();
  const find = (kind: string, name: string) => docs.find((d) => d.doc.kind === kind && d.doc.metadata.name === name)?.doc;
  const workloads = docs.filter((d) => d.doc.spec?.template);
  const cascadeSets = workloads.filter((d) => d.doc.kind === 'StatefulSet' && d.doc.metadata.name.startsWith('cascade-'));

  it('parses every document, each with apiVersion, kind and a name in the cascade namespace', () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const { file, doc } of docs) {
      if (doc.kind === 'Kustomization') continue;
      expect([file, typeof doc.apiVersion, typeof doc.kind, typeof doc.metadata?.name]).toEqual([file, 'string', 'string', 'string']);
      if (doc.kind !== 'Namespace') expect([file, doc.metadata.name, doc.metadata.namespace]).toEqual([file, doc.metadata.name, 'cascade']);
    }
    const kustomization = docs.find((d) => d.doc.kind === 'Kustomization')?.doc as unknown as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });

  it('embeds the same cascade.yaml as deploy/, and it loads', () => {
    const embedded = find('ConfigMap', 'cascade-config')?.data?.['cascade.yaml'];
    expect(typeof embedded).toBe('string');
    expect(parse(embedded as string)).toEqual(parse(read(path.join(DEPLOY, 'cascade.yaml'))));
    expect(loadWith(embedded as string, {}).cluster.maxConsumersPerNode).toBe(2000);
  });

  it('runs one StatefulSet per region on the host network, announcing the host IP', () => {
    expect(cascadeSets.map((d) => d.doc.metadata.name).sort()).toEqual(['cascade-ap', 'cascade-eu', 'cascade-us']);
    for (const { doc } of cascadeSets) {
      const pod = doc.spec?.template?.spec as PodSpec;
      expect(pod.hostNetwork).toBe(true);
      const env = pod.containers[0]?.env ?? [];
      expect(env.find((e) => e.name === 'CASCADE_RTC_ANNOUNCED_IP')?.valueFrom?.fieldRef?.fieldPath).toBe('status.hostIP');
      expect(env.find((e) => e.name === 'CASCADE_NODE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    }
  });

  it.each(workloads.map((w) => [w.doc.metadata.name, w.doc] as const))('%s: env names exist, references resolve, a Cascade node’s config loads', (name, doc) => {
    const secret = find('Secret', 'cascade-secrets');
    const pod = doc.spec?.template?.spec as PodSpec;
    for (const container of pod.containers) {
      const env: Record<string, string> = {};
      for (const variable of container.env ?? []) {
        if (variable.name.startsWith('CASCADE_')) expect([variable.name, VALID.has(variable.name)]).toEqual([variable.name, true]);
        const from = variable.valueFrom;
        if (variable.value !== undefined) env[variable.name] = String(variable.value);
        else if (from?.fieldRef) env[variable.name] = ({ 'metadata.name': `${name}-0`, 'status.hostIP': '10.0.0.5' } as Record<string, string>)[from.fieldRef.fieldPath] ?? 'x';
        else if (from?.secretKeyRef) {
          expect(from.secretKeyRef.name).toBe('cascade-secrets');
          const value = secret?.stringData?.[from.secretKeyRef.key];
          expect([from.secretKeyRef.key, typeof value]).toEqual([from.secretKeyRef.key, 'string']);
          env[variable.name] = value as string;
        } else throw new Error(`${name}: env ${variable.name} has no value`);
      }
      for (const volume of pod.volumes ?? []) if (volume.configMap) expect(find('ConfigMap', volume.configMap.name)).toBeDefined();
      if (!container.image.startsWith('cascade')) continue;

      // The ConfigMap is mounted where CASCADE_CONFIG points.
      const mount = container.volumeMounts?.find((m) => m.name === 'config');
      expect(path.join(mount?.mountPath ?? '?', 'cascade.yaml')).toBe(env.CASCADE_CONFIG);
      const config = loadWith(find('ConfigMap', 'cascade-config')?.data?.['cascade.yaml'] ?? '', env);
      expect(config.node.id).toBe(`${name}-0`);
      expect(name).toBe(`cascade-${config.node.region}`);
      expect(config.rtc.announcedIp).toBe('10.0.0.5');
      expect(config.cluster.transporter).toMatch(/^nats:\/\/nats\.cascade\.svc/);
      expect(config.cluster.redisUrl).toMatch(/^redis:\/\/redis\.cascade\.svc/);
      expect(config.database.url).toMatch(/^postgres:\/\/.*@postgres\.cascade\.svc/);
    }
  });

  it('backs every referenced service (nats, redis, postgres) with a Service of that name', () => {
    for (const service of ['nats', 'redis', 'postgres', 'cascade-nodes']) expect(find('Service', service)).toBeDefined();
  });
});
