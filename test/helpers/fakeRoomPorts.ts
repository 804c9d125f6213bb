import type { GatewaySignal, ParticipantMessage } from '../../schemas/actors';
import type { EgressInfo, EgressMessage, EgressMessages } from '../../schemas/egress';
import type { NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import type { LeaveReason } from '../../schemas/signaling';
import type { RoomPorts, RoomSettings } from '../../actors/room/RoomTypes';

/** RoomPorts that record what the room did, for driving a Room without a broker. */
export class RecordingRoomPorts implements RoomPorts {
  signals: Omit<GatewaySignal, 'roomId'>[] = [];
  created: ParticipantMessage<'create'>[] = [];
  removed: { participantId: ParticipantId; reason: LeaveReason }[] = [];
  paused: { nodeId: NodeId; producerId: ProducerId; paused: boolean }[] = [];
  ensured: { producerId: ProducerId; from: NodeId; to: NodeId }[] = [];
  closedMedia: NodeId[][] = [];
  sessions: { opened: string[]; closed: { participantId: string; reason: string }[] } = { opened: [], closed: [] };
  chats: string[] = [];
  closedReason?: string;
  timers: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  nodeId = 'node-a' as NodeId;
  /** Messages the room sent to egress actors, in order: [node, action, message]. */
  egress: [NodeId, string, Record<string, unknown>][] = [];
  clock = new Date('2026-01-01T00:00:00Z');

  signal(signal: Omit<GatewaySignal, 'roomId'>): void {
    this.signals.push(signal);
  }
  async place(): Promise<{ nodeId: NodeId; region: string }> {
    return { nodeId: this.nodeId, region: 'eu' };
  }
  async createParticipant(message: ParticipantMessage<'create'>): Promise<void> {
    this.created.push(message);
  }
  removeParticipant(participantId: ParticipantId, _nodeId: NodeId, reason: LeaveReason): void {
    this.removed.push({ participantId, reason });
  }
  async setProducerPaused(nodeId: NodeId, producerId: ProducerId, paused: boolean): Promise<void> {
    this.paused.push({ nodeId, producerId, paused });
  }
  async ensureTrackOnNode(producerId: ProducerId, from: NodeId, to: NodeId): Promise<void> {
    this.ensured.push({ producerId, from, to });
  }
  async placeEgress(trackNodes: NodeId[]): Promise<NodeId> {
    return trackNodes[0] ?? this.nodeId;
  }
  async egressCall<M extends 'start' | 'stop'>(nodeId: NodeId, action: M, message: EgressMessage<M>): Promise<EgressInfo> {
    this.egress.push([nodeId, action, message]);
    const start = action === 'start' ? (message as EgressMessage<'start'>) : undefined;
    return {
      id: message.egressId,
      roomId: (start?.roomId ?? 'room') as RoomId,
      kind: start?.request.kind ?? 'recording',
      state: action === 'start' ? 'starting' : 'stopping',
      composite: true,
      format: 'webm',
      nodeId,
      progress: { durationSeconds: 0, bytesWritten: 0, bitrateKbps: 0, reconnects: 0 },
      files: [],
    };
  }
  egressCast<M extends keyof typeof EgressMessages>(nodeId: NodeId, action: M, message: EgressMessage<M>): void {
    this.egress.push([nodeId, action, message]);
  }
  async closeMedia(nodeIds: NodeId[]): Promise<void> {
    this.closedMedia.push(nodeIds);
  }
  sessionOpened(info: { participantId: ParticipantId }): void {
    this.sessions.opened.push(info.participantId);
  }
  sessionClosed(info: { participantId: ParticipantId; reason: LeaveReason }): void {
    this.sessions.closed.push({ participantId: info.participantId, reason: info.reason });
  }
  chatSaved(message: { text: string }): void {
    this.chats.push(message.text);
  }
  closed(_roomId: string, reason: string): void {
    this.closedReason = reason;
  }
  suspended(): void {
    this.closedReason = 'suspended';
  }
  now(): Date {
    return this.clock;
  }
  setTimer(fn: () => void, ms: number): { cancel(): void } {
    const timer = { fn, ms, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  /** Fires the newest live timer, as if its time had come. */
  fireTimer(): void {
    const timer = [...this.timers].reverse().find((t) => !t.cancelled);
    if (!timer) throw new Error('no live timer');
    timer.cancelled = true;
    timer.fn();
  }
  events(name: string): Omit<GatewaySignal, 'roomId'>[] {
    return this.signals.filter((s) => s.event === name);
  }
}

export function roomSettings(overrides: Partial<RoomSettings> = {}): RoomSettings {
  return {
    name: 'Daily',
    maxParticipants: 10,
    lobbyEnabled: false,
    locked: false,
    recordingEnabled: true,
    emptyTimeoutSeconds: 30,
    chatHistory: 3,
    ...overrides,
  };
}
