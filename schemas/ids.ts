import { Type, type Static } from '@sinclair/typebox';

/**
 * Branded ids: a RoomId can never be passed where a ParticipantId is expected, although both are
 * strings on the wire. The brand exists only at compile time.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type RoomId = Brand<string, 'RoomId'>;
export type ParticipantId = Brand<string, 'ParticipantId'>;
export type NodeId = Brand<string, 'NodeId'>;
export type TransportId = Brand<string, 'TransportId'>;
export type ProducerId = Brand<string, 'ProducerId'>;
export type ConsumerId = Brand<string, 'ConsumerId'>;
export type EgressId = Brand<string, 'EgressId'>;

const idString = (pattern?: string) =>
  Type.String({ minLength: 1, maxLength: 128, ...(pattern ? { pattern } : {}) });

export const RoomIdSchema = Type.Unsafe<RoomId>(idString('^[A-Za-z0-9_.-]+$'));
export const ParticipantIdSchema = Type.Unsafe<ParticipantId>(idString());
export const NodeIdSchema = Type.Unsafe<NodeId>(idString());
export const TransportIdSchema = Type.Unsafe<TransportId>(idString());
export const ProducerIdSchema = Type.Unsafe<ProducerId>(idString());
export const ConsumerIdSchema = Type.Unsafe<ConsumerId>(idString());
export const EgressIdSchema = Type.Unsafe<EgressId>(idString());

/** A participant's identity inside a room (chosen by whoever minted the token). */
export const IdentitySchema = Type.String({ minLength: 1, maxLength: 128 });
export type Identity = Static<typeof IdentitySchema>;
