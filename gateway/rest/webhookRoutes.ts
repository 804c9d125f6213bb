import { Type } from '@sinclair/typebox';
import { CascadeError } from '../../schemas/errors';
import { CreateWebhookBodySchema, WebhookListResponseSchema, WebhookResponseSchema, type WebhookResponse } from '../../schemas/rest';
import { validator } from '../../schemas/validate';
import { WebhookActions, type WebhookInfo } from '../../schemas/webhooks';
import type { RouteParams } from '../http/router';
import type { RestRoute } from './routes';

function webhookResponse(hook: WebhookInfo): WebhookResponse {
  return {
    id: hook.id,
    url: hook.url,
    events: hook.events,
    active: hook.active,
    created_at: hook.createdAt,
    ...(hook.secret !== undefined ? { secret: hook.secret } : {}),
  };
}

const idCheck = validator(Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }));

function webhookIdParam(params: RouteParams): string {
  if (!idCheck.check(params)) throw new CascadeError('NOT_FOUND', 'Webhook not found');
  return params.id;
}

/** Webhook subscriptions (served by the `webhooks` service; delivery is described in docs/webhooks.md). */
export const WEBHOOK_ROUTES: RestRoute[] = [
  {
    method: 'POST',
    path: '/webhooks',
    summary: 'Subscribe a URL to webhook events; the answer holds the signing secret, shown only this once',
    auth: true,
    body: CreateWebhookBodySchema,
    status: 201,
    response: WebhookResponseSchema,
    errors: ['VALIDATION_FAILED', 'BAD_JSON', 'UNAUTHORIZED', 'FORBIDDEN', 'MESSAGE_TOO_LARGE'],
    handle: async (ctx, { body }) => {
      const b = validator(CreateWebhookBodySchema).parse(body);
      const hook = await ctx.actors.call<WebhookInfo>(WebhookActions.create, { url: b.url, events: b.events, ...(b.secret !== undefined ? { secret: b.secret } : {}) });
      return webhookResponse(hook);
    },
  },
  {
    method: 'GET',
    path: '/webhooks',
    summary: 'List webhook subscriptions (oldest first, without secrets)',
    auth: true,
    status: 200,
    response: WebhookListResponseSchema,
    errors: ['UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx) => {
      const { webhooks } = await ctx.actors.call<{ webhooks: WebhookInfo[] }>(WebhookActions.list, {});
      return { webhooks: webhooks.map(webhookResponse) };
    },
  },
  {
    method: 'GET',
    path: '/webhooks/:id',
    summary: 'One webhook subscription (without its secret)',
    auth: true,
    status: 200,
    response: WebhookResponseSchema,
    errors: ['NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params }) => webhookResponse(await ctx.actors.call<WebhookInfo>(WebhookActions.get, { id: webhookIdParam(params) })),
  },
  {
    method: 'DELETE',
    path: '/webhooks/:id',
    summary: 'Delete a webhook subscription (events already queued for it are still sent)',
    auth: true,
    status: 204,
    errors: ['NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
    handle: async (ctx, { params }) => {
      await ctx.actors.call(WebhookActions.delete, { id: webhookIdParam(params) });
      return undefined;
    },
  },
];
