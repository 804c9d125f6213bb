import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Egress jobs learn which node runs them (so a survivor can fail the jobs of a dead node) and why
 * they ended; each finished file gets a `recordings` row (a per-track recording has several).
 * Frozen like 0001.
 */
export class EgressNodesRecordings1763683200000 implements MigrationInterface {
  readonly name = 'EgressNodesRecordings1763683200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const timestamp = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    await queryRunner.addColumns('egress_jobs', [
      new TableColumn({ name: 'node_id', type: 'varchar', length: '128', isNullable: true }),
      new TableColumn({ name: 'reason', type: 'varchar', length: '32', isNullable: true }),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'recordings',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'egress_id', type: 'varchar', length: '128' },
          { name: 'room_id', type: 'varchar', length: '128' },
          { name: 'path', type: 'text' },
          { name: 'layout', type: 'varchar', length: '16' },
          { name: 'producer_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'participant_id', type: 'varchar', length: '128', isNullable: true },
          { name: 'duration_seconds', type: 'double precision' },
          { name: 'size_bytes', type: 'bigint' },
          { name: 'codecs', type: 'text' },
          { name: 'created_at', type: timestamp },
        ],
        foreignKeys: [
          { name: 'fk_recordings_egress', columnNames: ['egress_id'], referencedTableName: 'egress_jobs', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        ],
        indices: [
          { name: 'ix_recordings_egress', columnNames: ['egress_id'] },
          { name: 'ix_recordings_room_created', columnNames: ['room_id', 'created_at'] },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('recordings', true);
    await queryRunner.dropColumn('egress_jobs', 'reason');
    await queryRunner.dropColumn('egress_jobs', 'node_id');
  }
}
