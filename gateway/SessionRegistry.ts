import type { GatewaySignal } from '../schemas/actors';
import type { RoomId } from '../schemas/ids';
import type { SignalingSession } from './SignalingSession';

/**
 * The signaling sessions this gateway node holds, by room. Actors broadcast a signal to every
 * gateway node; each one hands it to its own sessions in that room, which filter by participant.
 */
export class SessionRegistry {
  readonly #byRoom = new Map<RoomId, Set<SignalingSession>>();
  #count = 0;

  get size(): number {
    return this.#count;
  }

  add(session: SignalingSession): void {
    let sessions = this.#byRoom.get(session.roomId);
    if (!sessions) {
      sessions = new Set();
      this.#byRoom.set(session.roomId, sessions);
    }
    if (!sessions.has(session)) {
      sessions.add(session);
      this.#count++;
    }
  }

  remove(session: SignalingSession): void {
    const sessions = this.#byRoom.get(session.roomId);
    if (!sessions?.delete(session)) return;
    this.#count--;
    if (sessions.size === 0) this.#byRoom.delete(session.roomId);
  }

  /** Hands a signal to every session of its room; returns how many sessions saw it. */
  deliver(signal: GatewaySignal): number {
    const sessions = this.#byRoom.get(signal.roomId);
    if (!sessions) return 0;
    // Copy: delivering may close a session, which removes it from the set.
    const targets = [...sessions];
    for (const session of targets) session.deliver(signal);
    return targets.length;
  }

  /**
   * A node died: sessions whose media lived there are told to reconnect (the browser client
   * rejoins, and is placed on a live node). Returns how many were told.
   */
  nodeLost(nodeId: string): number {
    let told = 0;
    for (const session of this.all()) {
      const participantId = session.participantId;
      if (session.participantNodeId !== nodeId || !participantId) continue;
      session.deliver({ roomId: session.roomId, to: [participantId], event: 'reconnect', data: { reason: 'node_failed' }, disconnect: true });
      told++;
    }
    return told;
  }

  inRoom(roomId: RoomId): SignalingSession[] {
    return [...(this.#byRoom.get(roomId) ?? [])];
  }

  all(): SignalingSession[] {
    return [...this.#byRoom.values()].flatMap((s) => [...s]);
  }
}
