import { IsNull, type DataSource, type FindOptionsWhere, type Repository } from 'typeorm';
import type { RoomId } from '../../schemas/ids';
import type { ChatMessage } from '../../schemas/signaling';
import { validator } from '../../schemas/validate';
import { mapDbErrors } from '../dbErrors';
import type { ChatRow, Entities } from '../entities';
import { newId } from '../ids';
import { NewChatSchema, type NewChat } from '../inputs';
import type { ChatRecord } from '../records';
import { iso, toMs } from '../time';

const newChat = validator(NewChatSchema);

export function toChatRecord(row: ChatRow): ChatRecord {
  return {
    id: row.id,
    roomId: row.roomId as RoomId,
    fromIdentity: row.fromIdentity,
    fromName: row.fromName,
    toIdentity: row.toIdentity,
    text: row.text,
    createdAt: iso(row.createdAt),
  };
}

/** The signaling shape of a stored message (chat history sent to a joiner). */
export function toChatMessage(record: ChatRecord): ChatMessage {
  return {
    id: record.id,
    from: { identity: record.fromIdentity, name: record.fromName },
    ...(record.toIdentity !== null ? { to: record.toIdentity } : {}),
    text: record.text,
    ts: record.createdAt,
  };
}

export class ChatRepository {
  readonly #repo: Repository<ChatRow>;

  constructor(dataSource: DataSource, entities: Entities) {
    this.#repo = dataSource.getRepository(entities.Chat);
  }

  /** ROOM_NOT_FOUND when the room was never stored; CONFLICT when the message id exists. */
  async append(input: NewChat): Promise<ChatRecord> {
    const data = newChat.parse(input);
    const row: Omit<ChatRow, 'seq'> = {
      id: data.id ?? newId('msg', 12),
      roomId: data.roomId,
      fromIdentity: data.fromIdentity,
      fromName: data.fromName,
      toIdentity: data.toIdentity ?? null,
      text: data.text,
      createdAt: toMs(data.createdAt),
    };
    await mapDbErrors(() => this.#repo.insert(row), { onForeignKey: 'ROOM_NOT_FOUND' });
    return toChatRecord({ ...row, seq: 0 });
  }

  /**
   * The last `n` messages in chronological order (oldest first). With `visibleTo`, only what
   * that identity may read: public messages and private ones sent to or by it.
   */
  async lastN(roomId: string, n: number, options: { visibleTo?: string } = {}): Promise<ChatRecord[]> {
    if (!Number.isInteger(n) || n <= 0) return [];
    const who = options.visibleTo;
    const where: FindOptionsWhere<ChatRow>[] =
      who === undefined
        ? [{ roomId }]
        : [
            { roomId, toIdentity: IsNull() },
            { roomId, toIdentity: who },
            { roomId, fromIdentity: who },
          ];
    const rows = await this.#repo.find({ where, order: { createdAt: 'DESC', seq: 'DESC' }, take: Math.min(n, 10_000) });
    return rows.reverse().map(toChatRecord);
  }

  countByRoom(roomId: string): Promise<number> {
    return this.#repo.count({ where: { roomId } });
  }
}
