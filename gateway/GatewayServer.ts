import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewaySignal } from '../schemas/actors';
import type { Config } from '../schemas/config';
import type { NodeId } from '../schemas/ids';
import { createClientPageHandler, type ClientPageConfig } from './http/clientPage';
import { sendJson, Router } from './http/router';
import { createStaticHandler } from './http/static';
import { mountRestApi } from './rest/routes';
import { RouterCapabilities } from './routerCapabilities';
import type { SessionRegistry } from './SessionRegistry';
import { SignalingServer } from './ws/SignalingServer';
import type { ActorClient, GatewayLogger } from './types';

/**
 * The gateway's HTTP server: the REST API (gateway/rest), the client config, the
 * WebSocket at /ws and the browser client as static files. Holds no media object.
 */

export interface GatewayServerOptions {
  config: Config;
  publicDir: string;
  actors: ActorClient;
  gatewayNodeId: NodeId;
  logger: GatewayLogger;
}

export interface GatewayAddress {
  url: string;
  port: number;
}

export class GatewayServer {
  /** Add routes here before `listen()`; unmatched paths fall through to the static files. */
  readonly router: Router;
  readonly #options: GatewayServerOptions;
  readonly #signaling: SignalingServer;
  readonly #routerCapabilities: RouterCapabilities;
  readonly #http: Server;
  readonly #startedAt = Date.now();
  #address?: GatewayAddress;
  #closing?: Promise<void>;

  constructor(options: GatewayServerOptions) {
    this.#options = options;
    const { config, logger } = options;
    this.router = new Router(logger);
    this.#routerCapabilities = new RouterCapabilities(options.actors);
    mountRestApi(this.router, { actors: options.actors, config, startedAt: this.#startedAt });
    const page = createClientPageHandler(options.publicDir, () => this.#clientPageConfig());
    this.router
      .get('/client-config.json', (_req, res) => sendJson(res, 200, { authMode: config.auth.mode }))
      .get('/', page)
      .get('/index.html', page)
      .fallback(createStaticHandler(options.publicDir));

    this.#signaling = new SignalingServer({
      auth: config.auth,
      maxMessageBytes: config.http.maxMessageBytes,
      maxBufferedBytes: config.http.maxBufferedBytes,
      routerCapabilities: this.#routerCapabilities,
      actors: options.actors,
      gatewayNodeId: options.gatewayNodeId,
      logger,
    });
    this.#http = createServer((req, res) => void this.router.handle(req, res));
    this.#http.on('upgrade', (req, socket, head: Buffer) => {
      if (!this.#signaling.handleUpgrade(req, socket, head)) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      }
    });
    this.#http.on('clientError', (_err, socket) => socket.destroy());
  }

  get registry(): SessionRegistry {
    return this.#signaling.registry;
  }

  get address(): GatewayAddress {
    if (!this.#address) throw new Error('GatewayServer is not listening');
    return this.#address;
  }

  async listen(): Promise<GatewayAddress> {
    const { host, port } = this.#options.config.http;
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    const bound = (this.#http.address() as AddressInfo).port;
    this.#address = { url: `http://${urlHost(host)}:${bound}`, port: bound };
    this.#options.logger.info(`gateway listening on ${this.#address.url} (auth mode ${this.#options.config.auth.mode})`);
    return this.#address;
  }

  /** Without capabilities (no media node answered in time) the client asks for them over the socket. */
  async #clientPageConfig(): Promise<ClientPageConfig> {
    const authMode = this.#options.config.auth.mode;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PAGE_CAPABILITIES_WAIT_MS)));
    const rtpCapabilities = await Promise.race([this.#routerCapabilities.get().catch(() => undefined), timeout]);
    clearTimeout(timer);
    return rtpCapabilities ? { authMode, rtpCapabilities } : { authMode };
  }

  /** A signal from the room actors: delivered to this node's sessions in that room. */
  deliver(signal: GatewaySignal): number {
    return this.#signaling.registry.deliver(signal);
  }

  /** A node died: participants whose media lived there must rejoin elsewhere. */
  nodeLost(nodeId: string): number {
    return this.#signaling.registry.nodeLost(nodeId);
  }

  /** Closes every socket, then the server. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#signaling.close();
      await new Promise<void>((resolve) => {
        if (!this.#http.listening) return resolve();
        this.#http.close(() => resolve());
        this.#http.closeAllConnections();
      });
    })();
    return this.#closing;
  }
}

/** How long the client page waits for a media node's capabilities before going out without them. */
const PAGE_CAPABILITIES_WAIT_MS = 1000;

/** A URL host that reaches this server from the same machine (browsers need loopback, not 0.0.0.0). */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
