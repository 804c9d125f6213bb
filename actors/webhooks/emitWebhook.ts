import type { ServiceBroker } from 'moleculer';
import type { RoomId } from '../../schemas/ids';
import { WebhookBrokerEvent, type WebhookEnvelope, type WebhookEventName, type WebhookPayload } from '../../schemas/webhooks';
import { newId } from '../../store/ids';

/** What an emitter passes: the event's payload, and the room it concerns when there is one. */
export type WebhookInput<E extends WebhookEventName> = WebhookPayload<E> & { roomId?: RoomId };

/** A bound emitter (RoomWebhooks and unit tests take one instead of a broker). */
export type WebhookEmit = <E extends WebhookEventName>(event: E, payload: WebhookInput<E>) => void;

export function webhookEnvelope<E extends WebhookEventName>(event: E, payload: WebhookInput<E>, now = new Date()): WebhookEnvelope<E> {
  return { id: newId('evt', 16), event, createdAt: now.toISOString(), ...payload } as WebhookEnvelope<E>;
}

/**
 * Sends a webhook event from any actor, on any node; returns the envelope (its `id` is what
 * receivers deduplicate on). A balanced emit to the `webhooks` group: exactly one `webhooks`
 * service instance in the cluster (the local one when there is one, Moleculer's preferLocal)
 * delivers it. Fire-and-forget: never awaited, never throws into the caller.
 */
export function emitWebhook<E extends WebhookEventName>(broker: Pick<ServiceBroker, 'emit'>, event: E, payload: WebhookInput<E>): WebhookEnvelope<E> {
  const envelope = webhookEnvelope(event, payload);
  try {
    // Moleculer's emit settles quietly (no throwError); a broker that is stopping may throw.
    void broker.emit(WebhookBrokerEvent, envelope, { groups: ['webhooks'] });
  } catch {
    // The event is lost with the node, like any event emitted while it stops.
  }
  return envelope;
}

/** emitWebhook bound to a broker. */
export function webhookEmitter(broker: Pick<ServiceBroker, 'emit'>): WebhookEmit {
  return (event, payload) => {
    emitWebhook(broker, event, payload);
  };
}
