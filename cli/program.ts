import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { renderExampleConfig } from '../config/example';
import { ConfigError, loadConfig } from '../config/load';
import { mintToken } from '../gateway/auth/tokens';
import { ROLES, type Role } from '../schemas/roles';
import { migrate } from '../store';
import { restCall } from './restClient';
import { projectRoot, startServer } from './server';

/** The `cascade` command: server, setup, token (and more as the REST API lands). */
const program = new Command('cascade').description('Cascade: real-time video rooms that span SFU nodes').showHelpAfterError();

const role = (value: string): Role => {
  if (!(ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${ROLES.join(', ')}`);
  return value as Role;
};
const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive whole number of seconds');
  return n;
};

program
  .command('server')
  .description('Start a Cascade node with the roles its config names')
  .option('-c, --config <file>', 'YAML config file (default: $CASCADE_CONFIG)')
  .option('--dev', 'development defaults: open auth (no token needed)')
  .action(async (opts: { config?: string; dev?: boolean }) => {
    const server = await startServer({
      ...(opts.config ? { configFile: opts.config } : {}),
      ...(opts.dev ? { overrides: { auth: { mode: 'open' } } } : {}),
    });
    const log = server.broker.getLogger('cascade');
    if (server.url) log.info(`Cascade ${server.config.node.id} listening on ${server.url} (auth mode: ${server.config.auth.mode})`);
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal}: shutting down`);
      server.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });

program
  .command('config:example')
  .description('Print a config file with every key, its default and its environment variable')
  .action(() => {
    process.stdout.write(renderExampleConfig());
  });

const withServer = (command: Command) =>
  command.option('-c, --config <file>', 'YAML config file (for auth.secret and http.port)').option('--url <url>', 'server base URL');

withServer(program.command('rooms').description('List rooms (through the REST API)'))
  .option('--status <status>', 'active or closed')
  .option('--limit <n>', 'page size', positiveInt, 50)
  .action(async (opts: { config?: string; url?: string; status?: string; limit: number }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    const query = new URLSearchParams({ limit: String(opts.limit), ...(opts.status ? { status: opts.status } : {}) });
    const { rooms, total } = await restCall<{ rooms: { id: string; name: string; status: string; participant_count: number; created_at: string }[]; total: number }>(
      config,
      opts.url,
      'GET',
      `/rooms?${query}`,
    );
    for (const r of rooms) process.stdout.write(`${r.id}\t${r.status}\t${r.participant_count}\t${r.created_at}\t${r.name}\n`);
    process.stdout.write(`${rooms.length} of ${total} rooms\n`);
  });

withServer(program.command('rooms:close').description('Close a room: everyone in it is disconnected').argument('<id>', 'room id')).action(
  async (id: string, opts: { config?: string; url?: string }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    await restCall(config, opts.url, 'DELETE', `/rooms/${encodeURIComponent(id)}`);
    process.stdout.write(`closed ${id}\n`);
  },
);

withServer(program.command('stats').description('Cluster statistics (through the REST API)')).action(async (opts: { config?: string; url?: string }) => {
  const config = loadConfig(opts.config ? { file: opts.config } : {});
  process.stdout.write(`${JSON.stringify(await restCall(config, opts.url, 'GET', '/stats'), null, 2)}\n`);
});

type WebhookRow = { id: string; url: string; events: string[]; active: boolean; created_at: string; secret?: string };

withServer(program.command('webhooks').description('List webhook subscriptions (through the REST API)')).action(async (opts: { config?: string; url?: string }) => {
  const config = loadConfig(opts.config ? { file: opts.config } : {});
  const { webhooks } = await restCall<{ webhooks: WebhookRow[] }>(config, opts.url, 'GET', '/webhooks');
  for (const h of webhooks) process.stdout.write(`${h.id}\t${h.active ? 'active' : 'inactive'}\t${h.events.join(',')}\t${h.url}\n`);
  process.stdout.write(`${webhooks.length} webhooks\n`);
});

withServer(program.command('webhooks:create').description('Subscribe a URL to webhook events; prints the signing secret (shown once)'))
  .requiredOption('--target <url>', 'receiver URL (http:// or https://)')
  .option('--events <names>', 'comma-separated event names, or * for all', '*')
  .option('--secret <secret>', 'HMAC key (default: generated)')
  .action(async (opts: { config?: string; url?: string; target: string; events: string; secret?: string }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    const events = opts.events.split(',').map((e) => e.trim()).filter(Boolean);
    const hook = await restCall<WebhookRow>(config, opts.url, 'POST', '/webhooks', { url: opts.target, events, ...(opts.secret ? { secret: opts.secret } : {}) });
    process.stdout.write(`${hook.id}\nsecret: ${hook.secret}\n`);
  });

withServer(program.command('webhooks:delete').description('Delete a webhook subscription').argument('<id>', 'webhook id')).action(
  async (id: string, opts: { config?: string; url?: string }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    await restCall(config, opts.url, 'DELETE', `/webhooks/${encodeURIComponent(id)}`);
    process.stdout.write(`deleted ${id}\n`);
  },
);

program
  .command('migrate')
  .description('Apply pending database migrations (SQLite file or PostgreSQL from the config)')
  .option('-c, --config <file>', 'YAML config file')
  .action(async (opts: { config?: string }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    const applied = await migrate(config.database);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
  });

program
  .command('setup')
  .description('Install system packages and build mediasoup-worker (cached; a second run is a no-op)')
  .action(() => {
    const result = spawnSync('bash', [path.join(projectRoot(), 'scripts', 'setup.sh')], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  });

program
  .command('token')
  .description('Mint an access token (signed with auth.secret from the config)')
  .requiredOption('--room <room>', 'room id')
  .requiredOption('--identity <identity>', 'participant identity')
  .option('--name <name>', 'display name')
  .option('--role <role>', `one of ${ROLES.join(', ')}`, role, 'guest')
  .option('--region <region>', 'placement hint')
  .option('--ttl <seconds>', 'lifetime in seconds', positiveInt)
  .option('-c, --config <file>', 'YAML config file')
  .action((opts: { room: string; identity: string; name?: string; role: Role; region?: string; ttl?: number; config?: string }) => {
    const config = loadConfig(opts.config ? { file: opts.config } : {});
    const token = mintToken(config.auth, {
      room: opts.room,
      identity: opts.identity,
      role: opts.role,
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.ttl ? { ttl: opts.ttl } : {}),
    });
    process.stdout.write(`${token}\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : (err as Error).stack ?? String(err);
  process.stderr.write(`cascade: ${message}\n`);
  process.exit(1);
});
