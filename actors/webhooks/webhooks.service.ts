import type { Context, ServiceSchema } from 'moleculer';
import type { Config } from '../../schemas/config';
import { CascadeError } from '../../schemas/errors';
import { validator } from '../../schemas/validate';
import {
  WebhookBrokerEvent,
  WebhookEnvelopeSchema,
  WebhookMessages,
  type WebhookEnvelope,
  type WebhookEventName,
  type WebhookInfo,
  type WebhookMessage,
} from '../../schemas/webhooks';
import type { Store } from '../../store';
import type { WebhookRecord } from '../../store/records';
import { Subscriptions } from './Subscriptions';
import { WebhookDispatcher, type WebhookTarget } from './WebhookDispatcher';

export interface WebhooksServiceDeps {
  config: Config;
  store: Store;
}

const envelopeCheck = validator(WebhookEnvelopeSchema);

function info(hook: WebhookRecord, withSecret = false): WebhookInfo {
  return { id: hook.id, url: hook.url, events: hook.events, active: hook.active, createdAt: hook.createdAt, ...(withSecret ? { secret: hook.secret } : {}) };
}

/**
 * Static receivers from the config get every event, signed with the first API key pair's secret:
 * a receiver that verifies them is the operator's backend, which holds that pair anyway to call
 * the REST API (as with LiveKit), and auth.secret (which mints tokens) never leaves the cluster.
 */
export function staticTargets(config: Config): WebhookTarget[] {
  const { urls } = config.webhooks;
  if (urls.length === 0) return [];
  const pair = config.auth.apiKeys[0];
  if (!pair) throw new Error('webhooks.urls needs an auth.apiKeys pair: its secret signs the events sent to them');
  return urls.map((url) => ({ id: `static:${url}`, url, secret: pair.secret }));
}

/**
 * The `webhooks` service, on every node: CRUD of subscriptions for the REST API (any instance
 * answers: the store is shared), and delivery of `webhooks.event`, which emitters send balanced
 * so that exactly one instance in the cluster delivers each event.
 */
/** Broadcast after a subscription is created or deleted: every node drops its cached list. */
const WebhooksChangedEvent = 'webhooks.changed';

export function createWebhooksService(deps: WebhooksServiceDeps): ServiceSchema {
  const { config, store } = deps;
  const fixed = staticTargets(config);
  let dispatcher: WebhookDispatcher | undefined;
  const subscriptions = new Subscriptions(() => store.webhooks.list({ activeOnly: true }));

  const targets = async (event: WebhookEventName): Promise<WebhookTarget[]> => {
    const hooks = await subscriptions.forEvent(event);
    return [...hooks.map((h) => ({ id: h.id, url: h.url, secret: h.secret })), ...fixed];
  };

  return {
    name: 'webhooks',

    actions: {
      create: {
        params: WebhookMessages.create,
        async handler(ctx: Context<WebhookMessage<'create'>>): Promise<WebhookInfo> {
          const { url, events, secret } = ctx.params;
          const hook = await store.webhooks.create({ url, events, ...(secret !== undefined ? { secret } : {}) });
          void ctx.broadcast(WebhooksChangedEvent, {});
          return info(hook, true);
        },
      },
      list: {
        params: WebhookMessages.list,
        async handler(): Promise<{ webhooks: WebhookInfo[] }> {
          return { webhooks: (await store.webhooks.list()).map((h) => info(h)) };
        },
      },
      get: {
        params: WebhookMessages.get,
        async handler(ctx: Context<WebhookMessage<'get'>>): Promise<WebhookInfo> {
          const hook = await store.webhooks.get(ctx.params.id);
          if (!hook) throw new CascadeError('NOT_FOUND', `Webhook ${ctx.params.id} not found`);
          return info(hook);
        },
      },
      delete: {
        params: WebhookMessages.delete,
        async handler(ctx: Context<WebhookMessage<'delete'>>): Promise<{ deleted: true }> {
          if (!(await store.webhooks.delete(ctx.params.id))) throw new CascadeError('NOT_FOUND', `Webhook ${ctx.params.id} not found`);
          void ctx.broadcast(WebhooksChangedEvent, {});
          return { deleted: true };
        },
      },
    },

    events: {
      [WebhooksChangedEvent]() {
        subscriptions.invalidate();
      },
      [WebhookBrokerEvent]: {
        handler(ctx: Context<unknown>) {
          if (!envelopeCheck.check(ctx.params)) {
            this.logger.warn(`dropped malformed ${WebhookBrokerEvent}`, envelopeCheck.errors(ctx.params));
            return;
          }
          // Queued, not awaited: delivery (and its retries) never holds the emitter.
          void dispatcher?.dispatch(ctx.params as WebhookEnvelope);
        },
      },
    },

    started() {
      const { timeoutMs, maxAttempts, backoffMs, maxQueue } = config.webhooks;
      dispatcher = new WebhookDispatcher({ targets, timeoutMs, maxAttempts, backoffMs, maxQueue, logger: this.logger });
    },

    async stopped() {
      await dispatcher?.stop();
    },
  };
}
