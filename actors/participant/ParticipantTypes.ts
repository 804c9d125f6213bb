import type { GatewaySignal, LocatedTrack } from '../../schemas/actors';
import type { NodeId, ParticipantId, ProducerId, RoomId } from '../../schemas/ids';
import type { MediaRequest, MediaRequests, ConsumerParams, DataConsumerParams, TransportParams } from '../../schemas/media';
import type { LeaveReason, TrackInfo } from '../../schemas/signaling';

/** A media node's API as seen from actors: plain DTOs, addressed by node. */
export interface MediaPort {
  createWebRtcTransport(nodeId: NodeId, request: MediaRequest<'createWebRtcTransport'>): Promise<TransportParams>;
  connectTransport(nodeId: NodeId, request: MediaRequest<'connectTransport'>): Promise<void>;
  restartIce(nodeId: NodeId, request: MediaRequest<'restartIce'>): Promise<{ iceParameters: Record<string, unknown> }>;
  produce(nodeId: NodeId, request: MediaRequest<'produce'>): Promise<{ producerId: ProducerId }>;
  closeProducer(nodeId: NodeId, request: MediaRequest<'closeProducer'>): Promise<void>;
  pauseProducer(nodeId: NodeId, request: MediaRequest<'pauseProducer'>): Promise<void>;
  resumeProducer(nodeId: NodeId, request: MediaRequest<'resumeProducer'>): Promise<void>;
  consume(nodeId: NodeId, request: MediaRequest<'consume'>): Promise<ConsumerParams>;
  resumeConsumer(nodeId: NodeId, request: MediaRequest<'resumeConsumer'>): Promise<void>;
  setConsumerPreferredLayers(nodeId: NodeId, request: MediaRequest<'setConsumerPreferredLayers'>): Promise<void>;
  closeParticipant(nodeId: NodeId, request: MediaRequest<'closeParticipant'>): Promise<void>;
  produceData(nodeId: NodeId, request: MediaRequest<'produceData'>): Promise<{ dataProducerId: string; maxMessageBytes: number }>;
  consumeData(nodeId: NodeId, request: MediaRequest<'consumeData'>): Promise<DataConsumerParams>;
}
export type MediaMethod = keyof typeof MediaRequests;

/** What a participant asks of its room (the participant awaits the room, never the reverse). */
export interface RoomPort {
  trackPublished(roomId: RoomId, nodeId: NodeId, track: TrackInfo): Promise<void>;
  trackUnpublished(roomId: RoomId, participantId: ParticipantId, producerId: ProducerId): Promise<void>;
  trackMuted(roomId: RoomId, participantId: ParticipantId, producerId: ProducerId, muted: boolean): Promise<void>;
  locateTrack(roomId: RoomId, producerId: ProducerId, nodeId: NodeId): Promise<LocatedTrack>;
  leave(roomId: RoomId, participantId: ParticipantId, reason: LeaveReason): Promise<void>;
}

export interface ParticipantPorts {
  media: MediaPort;
  room: RoomPort;
  signal(signal: GatewaySignal): void;
}
