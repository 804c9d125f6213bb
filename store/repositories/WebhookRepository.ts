import { randomBytes } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { CascadeError } from '../../schemas/errors';
import { validator } from '../../schemas/validate';
import { mapDbErrors } from '../dbErrors';
import type { Entities, WebhookRow } from '../entities';
import { newId } from '../ids';
import { NewWebhookSchema, WebhookPatchSchema, type NewWebhook, type WebhookPatch } from '../inputs';
import type { WebhookRecord } from '../records';
import { iso, parseJsonArray, toMs } from '../time';

const newWebhook = validator(NewWebhookSchema);
const webhookPatch = validator(WebhookPatchSchema);
const isString = (v: unknown): v is string => typeof v === 'string';

export function toWebhookRecord(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    url: row.url,
    events: parseJsonArray(row.events, isString),
    secret: row.secret,
    createdAt: iso(row.createdAt),
    active: row.active,
  };
}

/** Webhook subscriptions: where to POST which events, and the key that signs them. */
export class WebhookRepository {
  readonly #repo: Repository<WebhookRow>;

  constructor(dataSource: DataSource, entities: Entities) {
    this.#repo = dataSource.getRepository(entities.Webhook);
  }

  /** Without a secret one is generated (returned once here, and by get()). */
  async create(input: NewWebhook): Promise<WebhookRecord> {
    const data = newWebhook.parse(input);
    const row: WebhookRow = {
      id: data.id ?? newId('wh', 12),
      url: data.url,
      events: JSON.stringify([...new Set(data.events)]),
      secret: data.secret ?? `whsec_${randomBytes(24).toString('base64url')}`,
      createdAt: toMs(data.createdAt),
      active: data.active ?? true,
    };
    await mapDbErrors(() => this.#repo.insert(row));
    return toWebhookRecord(row);
  }

  async get(id: string): Promise<WebhookRecord | null> {
    const row = await this.#repo.findOneBy({ id });
    return row ? toWebhookRecord(row) : null;
  }

  /** Oldest first. `event` keeps the hooks subscribed to it (or to `*`). */
  async list(options: { activeOnly?: boolean; event?: string } = {}): Promise<WebhookRecord[]> {
    const rows = await this.#repo.find({ where: options.activeOnly ? { active: true } : {}, order: { createdAt: 'ASC', id: 'ASC' } });
    const hooks = rows.map(toWebhookRecord);
    const event = options.event;
    return event === undefined ? hooks : hooks.filter((h) => h.events.includes(event) || h.events.includes('*'));
  }

  async update(id: string, patch: WebhookPatch): Promise<WebhookRecord> {
    const data = webhookPatch.parse(patch);
    const changes: Partial<WebhookRow> = {};
    if (data.url !== undefined) changes.url = data.url;
    if (data.events !== undefined) changes.events = JSON.stringify([...new Set(data.events)]);
    if (data.secret !== undefined) changes.secret = data.secret;
    if (data.active !== undefined) changes.active = data.active;
    if (Object.keys(changes).length > 0) await this.#repo.update({ id }, changes);
    const hook = await this.get(id);
    if (!hook) throw new CascadeError('NOT_FOUND', `Webhook ${id} not found`);
    return hook;
  }

  /** True when a row was deleted. */
  async delete(id: string): Promise<boolean> {
    const result = await this.#repo.delete({ id });
    return (result.affected ?? 0) > 0;
  }
}
