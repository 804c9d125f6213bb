import { Type } from '@sinclair/typebox';
import type { Context, ServiceSchema } from 'moleculer';
import { NODE_LOST_EVENT, type NodeLostPayload } from '../actors/cluster/NodeDeathWatch';
import { GatewaySignalEvent, GatewaySignalSchema } from '../schemas/actors';
import type { Config } from '../schemas/config';
import type { NodeId } from '../schemas/ids';
import { validator } from '../schemas/validate';
import { GatewayServer, type GatewayAddress } from './GatewayServer';
import type { ActorClient } from './types';

/**
 * The `gateway` service: a thin Moleculer shell around GatewayServer. It opens the HTTP/WebSocket
 * server when the broker starts and relays `gateway.signal` events (broadcast by room and
 * participant actors to every gateway node) to the sockets this node holds.
 */

export interface GatewayServiceOptions {
  config: Config;
  /** Built browser client (dist/public). */
  publicDir: string;
}

const signalValidator = validator(GatewaySignalSchema);

export function createGatewayService(options: GatewayServiceOptions): ServiceSchema {
  let server: GatewayServer | undefined;

  return {
    name: 'gateway',

    actions: {
      /** Where this node's gateway listens (port 0 in the config means "any free port"). */
      address: {
        params: Type.Object({}),
        handler(): GatewayAddress {
          if (!server) throw new Error('gateway is not started');
          return server.address;
        },
      },
    },

    events: {
      // Confirmed deaths only (missed heartbeats and an expired registry entry): a NATS outage
      // alone must not send everyone to reconnect.
      [NODE_LOST_EVENT](ctx: Context<NodeLostPayload>) {
        const told = server?.nodeLost(ctx.params.nodeId) ?? 0;
        if (told > 0) this.logger.warn(`node ${ctx.params.nodeId} died: ${told} participant(s) told to reconnect`);
      },
      [GatewaySignalEvent]: {
        handler(ctx: Context<unknown>) {
          if (!server) return;
          if (!signalValidator.check(ctx.params)) {
            this.logger.warn(`dropped malformed ${GatewaySignalEvent}`, signalValidator.errors(ctx.params));
            return;
          }
          server.deliver(ctx.params);
        },
      },
    },

    async started() {
      const broker = this.broker;
      const actors: ActorClient = {
        call: <T>(action: string, params: object, opts?: { nodeID?: string }) =>
          broker.call<T, object>(action, params, opts?.nodeID ? { nodeID: opts.nodeID } : {}),
      };
      server = new GatewayServer({
        config: options.config,
        publicDir: options.publicDir,
        actors,
        gatewayNodeId: broker.nodeID as NodeId,
        logger: this.logger,
      });
      await server.listen();
    },

    async stopped() {
      await server?.close();
      server = undefined;
    },
  };
}
