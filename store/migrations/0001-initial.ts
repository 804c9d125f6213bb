import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * The first schema: rooms, participant sessions, chat history, webhooks, egress jobs. Written
 * with the driver-neutral Table API so the same migration runs on better-sqlite3 and PostgreSQL;
 * only the timestamp type differs (timestamptz keeps the zone on PostgreSQL; SQLite stores
 * typeorm's UTC text). Frozen: later changes go in a new migration, never here.
 */
export class Initial1732147200000 implements MigrationInterface {
  readonly name = 'Initial1732147200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
    const time = (name: string, isNullable = false): TableColumnOptions => ({ name, type: timestamp, isNullable });
    const bool = (name: string): TableColumnOptions => ({ name, type: 'boolean', isNullable: false });
    const roomFk = (table: string) => ({
      name: `fk_${table}_room`,
      columnNames: ['room_id'],
      referencedTableName: 'rooms',
      referencedColumnNames: ['id'],
      onDelete: 'CASCADE',
    });

    await queryRunner.createTable(
      new Table({
        name: 'rooms',
        columns: [
          { ...str('id', 128), isPrimary: true },
          str('name', 200),
          str('slug', 64),
          str('status', 16),
          { name: 'max_participants', type: 'integer' },
          { name: 'password_hash', type: 'text', isNullable: true },
          bool('lobby_enabled'),
          bool('locked'),
          bool('recording_enabled'),
          { name: 'empty_timeout_seconds', type: 'double precision' },
          time('created_at'),
          time('closed_at', true),
        ],
        uniques: [{ name: 'uq_rooms_slug', columnNames: ['slug'] }],
        indices: [{ name: 'ix_rooms_status_created', columnNames: ['status', 'created_at'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'participant_sessions',
        columns: [
          { ...str('id', 64), isPrimary: true },
          str('room_id', 128),
          str('participant_id', 128),
          str('identity', 128),
          str('name', 200),
          str('role', 16),
          time('joined_at'),
          time('left_at', true),
          str('leave_reason', 32, true),
          { name: 'tracks', type: 'text' },
          str('node_id', 128),
        ],
        foreignKeys: [roomFk('participant_sessions')],
        indices: [
          { name: 'ix_sessions_room_joined', columnNames: ['room_id', 'joined_at'] },
          { name: 'ix_sessions_node_left', columnNames: ['node_id', 'left_at'] },
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'chat_messages',
        columns: [
          { name: 'seq', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          str('id', 64),
          str('room_id', 128),
          str('from_identity', 128),
          str('from_name', 200),
          str('to_identity', 128, true),
          { name: 'text', type: 'text' },
          time('created_at'),
        ],
        uniques: [{ name: 'uq_chat_id', columnNames: ['id'] }],
        foreignKeys: [roomFk('chat_messages')],
        indices: [{ name: 'ix_chat_room_created', columnNames: ['room_id', 'created_at'] }],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'webhooks',
        columns: [
          { ...str('id', 64), isPrimary: true },
          { name: 'url', type: 'text' },
          { name: 'events', type: 'text' },
          str('secret', 256),
          time('created_at'),
          bool('active'),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'egress_jobs',
        columns: [
          { ...str('id', 128), isPrimary: true },
          str('room_id', 128),
          str('kind', 16),
          str('status', 16),
          str('format', 32),
          bool('composite'),
          { name: 'destination', type: 'text', isNullable: true },
          { name: 'url_redacted', type: 'text', isNullable: true },
          { name: 'file_path', type: 'text', isNullable: true },
          { name: 'duration_seconds', type: 'double precision', isNullable: true },
          { name: 'bytes_written', type: 'bigint' },
          { name: 'reconnects', type: 'integer' },
          { name: 'error', type: 'text', isNullable: true },
          time('created_at'),
          time('started_at', true),
          time('ended_at', true),
        ],
        foreignKeys: [roomFk('egress_jobs')],
        indices: [{ name: 'ix_egress_room_created', columnNames: ['room_id', 'created_at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['egress_jobs', 'webhooks', 'chat_messages', 'participant_sessions', 'rooms']) {
      await queryRunner.dropTable(table, true);
    }
  }
}
