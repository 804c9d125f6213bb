import { QueryFailedError } from 'typeorm';
import { CascadeError, type ErrorCode } from '../schemas/errors';

/**
 * Constraint violations come back as driver-specific errors (SQLite result-code names, SQLSTATE
 * on PostgreSQL). They are classified here once so repositories can turn them into CascadeErrors
 * instead of leaking SQL to callers.
 */
export type DbViolation = 'unique' | 'foreign_key' | 'not_null' | 'too_long' | 'other';

export function classifyDbError(err: unknown): DbViolation | null {
  if (!(err instanceof QueryFailedError)) return null;
  const driverError: { code?: unknown } | undefined = err.driverError;
  const code = typeof driverError?.code === 'string' ? driverError.code : '';
  switch (code) {
    case '23505':
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY':
      return 'unique';
    case '23503':
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      return 'foreign_key';
    case '23502':
    case 'SQLITE_CONSTRAINT_NOTNULL':
      return 'not_null';
    case '22001':
      return 'too_long';
    default:
      return 'other';
  }
}

/**
 * Runs a write; a unique violation becomes `onUnique`, a missing parent row `onForeignKey`, a
 * value the column refuses VALIDATION_FAILED, anything else INTERNAL (the SQL stays in `cause`).
 */
export async function mapDbErrors<T>(
  write: () => Promise<T>,
  codes: { onUnique?: ErrorCode; onForeignKey?: ErrorCode; message?: string } = {},
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof CascadeError) throw err;
    const kind = classifyDbError(err);
    let mapped: CascadeError;
    if (kind === 'unique') mapped = new CascadeError(codes.onUnique ?? 'CONFLICT', codes.message);
    else if (kind === 'foreign_key') mapped = new CascadeError(codes.onForeignKey ?? 'NOT_FOUND');
    else if (kind === 'not_null' || kind === 'too_long') mapped = new CascadeError('VALIDATION_FAILED');
    else mapped = new CascadeError('INTERNAL', 'Database error');
    Object.defineProperty(mapped, 'cause', { value: err, enumerable: false });
    throw mapped;
  }
}
