/** Public surface of store/: open a Store, its records and inputs, and the helpers others need. */
export { Store, openStore, migrate } from './Store';
export { createDataSource, driverOf, runMigrations, MIGRATIONS_TABLE, type DatabaseConfig } from './dataSource';
export type { DriverKind } from './entities';
export type * from './records';
export type * from './inputs';
export { RoomRepository, slugify } from './repositories/RoomRepository';
export { SessionRepository } from './repositories/SessionRepository';
export { ChatRepository, toChatMessage } from './repositories/ChatRepository';
export { WebhookRepository } from './repositories/WebhookRepository';
export { EgressRepository, isFinalEgressStatus } from './repositories/EgressRepository';
export { RecordingRepository } from './repositories/RecordingRepository';
export { hashPassword, verifyPassword } from './password';
export { redactUrl } from './redact';
export { newId } from './ids';
