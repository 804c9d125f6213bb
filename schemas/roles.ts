import { Type, type Static } from '@sinclair/typebox';

export const RoleSchema = Type.Union([
  Type.Literal('host'),
  Type.Literal('co_host'),
  Type.Literal('guest'),
  Type.Literal('viewer'),
]);
export type Role = Static<typeof RoleSchema>;
export const ROLES: readonly Role[] = ['host', 'co_host', 'guest', 'viewer'];

export type Permission =
  | 'publish'
  | 'subscribe'
  | 'kick'
  | 'mute_others'
  | 'close_room'
  | 'record'
  | 'admit_lobby'
  | 'lock_room'
  | 'chat'
  | 'publish_data';

/**
 * The one permission table. Actors enforce it (the gateway only forwards), so a REST call, a
 * WebSocket message and a cross-node actor message meet the same rule.
 */
export const PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  host: new Set<Permission>(['publish', 'subscribe', 'kick', 'mute_others', 'close_room', 'record', 'admit_lobby', 'lock_room', 'chat', 'publish_data']),
  co_host: new Set<Permission>(['publish', 'subscribe', 'kick', 'mute_others', 'record', 'admit_lobby', 'lock_room', 'chat', 'publish_data']),
  guest: new Set<Permission>(['publish', 'subscribe', 'chat', 'publish_data']),
  viewer: new Set<Permission>(['subscribe', 'chat']),
};

export function can(role: Role, permission: Permission): boolean {
  return PERMISSIONS[role].has(permission);
}

/** Viewers are not announced to everyone: a webinar audience must not flood clients with joins. */
export function isAnnounced(role: Role): boolean {
  return role !== 'viewer';
}

/** Hosts and co-hosts skip the lobby, a lock and a room password. */
export function isPrivileged(role: Role): boolean {
  return role === 'host' || role === 'co_host';
}
