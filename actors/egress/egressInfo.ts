import type { EgressInfo } from '../../schemas/egress';
import type { EgressRecord, RecordingRecord } from '../../store';

/** A stored job (and its files) in the shape live jobs report. */
export function egressInfoOf(record: EgressRecord, files: RecordingRecord[]): EgressInfo {
  const duration = record.durationSeconds ?? 0;
  return {
    id: record.id,
    roomId: record.roomId,
    kind: record.kind,
    state: record.status,
    composite: record.composite,
    format: record.format === 'mp4' || record.format === 'flv' ? record.format : 'webm',
    ...(record.nodeId ? { nodeId: record.nodeId } : {}),
    ...(record.urlRedacted ? { urlRedacted: record.urlRedacted } : {}),
    progress: {
      durationSeconds: duration,
      bytesWritten: record.bytesWritten,
      bitrateKbps: duration > 0 ? Math.round((record.bytesWritten * 8) / duration / 100) / 10 : 0,
      reconnects: record.reconnects,
    },
    files: files
      .filter((f) => f.egressId === record.id)
      .map(({ path, layout, producerId, participantId, durationSeconds, sizeBytes, codecs }) => ({
        path,
        layout,
        ...(producerId ? { producerId } : {}),
        ...(participantId ? { participantId } : {}),
        durationSeconds,
        sizeBytes,
        codecs,
      })),
    ...(record.reason ? { reason: record.reason } : {}),
    ...(record.error ? { error: record.error } : {}),
    createdAt: record.createdAt,
    ...(record.startedAt ? { startedAt: record.startedAt } : {}),
    ...(record.endedAt ? { endedAt: record.endedAt } : {}),
  };
}
