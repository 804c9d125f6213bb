import { Type, type Static } from '@sinclair/typebox';
import { IdentitySchema, RoomIdSchema } from './ids';
import { RoleSchema } from './roles';

/** Claims of an access token (HS256 JWT). `exp`/`iat`/`iss` are checked by jsonwebtoken. */
export const AccessClaimsSchema = Type.Object({
  room: RoomIdSchema,
  identity: IdentitySchema,
  name: Type.Optional(Type.String({ maxLength: 128 })),
  role: RoleSchema,
  /** Placement hint: the region the participant is closest to. */
  region: Type.Optional(Type.String({ maxLength: 64 })),
  exp: Type.Optional(Type.Integer()),
  iat: Type.Optional(Type.Integer()),
  iss: Type.Optional(Type.String()),
});
export type AccessClaims = Static<typeof AccessClaimsSchema>;

export const MintTokenSchema = Type.Object({
  room: RoomIdSchema,
  identity: IdentitySchema,
  name: Type.Optional(Type.String({ maxLength: 128 })),
  role: Type.Optional(RoleSchema),
  region: Type.Optional(Type.String({ maxLength: 64 })),
  ttl: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 * 24 * 3600 })),
});
export type MintToken = Static<typeof MintTokenSchema>;
