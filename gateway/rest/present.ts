import type { RoomView } from '../../actors/room/RoomAdmin';
import type { ParticipantResponse, RoomResponse } from '../../schemas/rest';
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
