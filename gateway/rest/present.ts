import type { RoomView } from '../../actors/room/RoomAdmin';
import type { EgressInfo } from '../../schemas/egress';
import type { EgressResponse, ParticipantResponse, RoomResponse } from '../../schemas/rest';
import type { ParticipantInfo } from '../../schemas/signaling';

/** Stored and live room state in the REST API's snake_case shape. */
export function roomResponse({ room, participantCount }: RoomView): RoomResponse {
  return {
    id: room.id,
    name: room.name,
    slug: room.slug,
    status: room.status,
    max_participants: room.maxParticipants,
    lobby_enabled: room.lobbyEnabled,
    recording_enabled: room.recordingEnabled,
    locked: room.locked,
    has_password: room.hasPassword,
    empty_timeout: room.emptyTimeoutSeconds,
    participant_count: participantCount,
    created_at: room.createdAt,
    closed_at: room.closedAt,
  };
}

export function participantResponse(p: ParticipantInfo): ParticipantResponse {
  const sources = new Set(p.tracks.map((t) => t.source));
  return {
    identity: p.identity,
    name: p.name,
    role: p.role,
    joined_at: p.joinedAt,
    tracks: { audio: sources.has('microphone'), video: sources.has('camera'), screen: sources.has('screen') },
  };
}

export function egressResponse(info: EgressInfo): EgressResponse {
  return {
    id: info.id,
    room_id: info.roomId,
    kind: info.kind,
    status: info.state,
    composite: info.composite,
    format: info.format,
    node_id: info.nodeId ?? null,
    url: info.urlRedacted ?? null,
    duration_seconds: info.progress.durationSeconds,
    bytes_written: info.progress.bytesWritten,
    bitrate_kbps: info.progress.bitrateKbps,
    reconnects: info.progress.reconnects,
    files: info.files.map((f) => ({
      path: f.path,
      layout: f.layout,
      ...(f.producerId ? { producer_id: f.producerId } : {}),
      ...(f.participantId ? { participant_id: f.participantId } : {}),
      duration_seconds: f.durationSeconds,
      size_bytes: f.sizeBytes,
      codecs: f.codecs,
    })),
    reason: info.reason ?? null,
    error: info.error ?? null,
    created_at: info.createdAt ?? null,
    started_at: info.startedAt ?? null,
    ended_at: info.endedAt ?? null,
  };
}
