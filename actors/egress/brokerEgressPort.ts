import type { ServiceBroker } from 'moleculer';
import { plainConsumerInfo, plainConsumerRequest, type EgressMediaPort, type PlainConsumerInfo } from '../../egress/EgressMediaPort';
import { RoomActions } from '../../schemas/actors';
import { toCascadeError } from '../../schemas/errors';
import type { NodeId } from '../../schemas/ids';

/**
 * EgressMediaPort for a job on this node: the room first makes the track consumable here (a pipe
 * from its publisher's node when that is another one: room.locateTrack), then this node's media
 * service sends it over a PlainTransport to ffmpeg. Both hops stay inside the actor model.
 */
export function brokerEgressPort(broker: ServiceBroker): EgressMediaPort {
  const self = broker.nodeID as NodeId;
  const media = <T>(method: string, request: object) => broker.call<T, object>(`media.${method}`, request, { nodeID: self });
  return {
    async createPlainConsumer(request) {
      await broker.call(RoomActions.locateTrack, { roomId: request.roomId, producerId: request.producerId, nodeId: self });
      return plainConsumerInfo(await media<PlainConsumerInfo>('createPlainConsumer', plainConsumerRequest(request)));
    },
    async resumeConsumer(consumerId) {
      await media('resumeConsumer', { consumerId });
    },
    async closeConsumer(consumerId) {
      try {
        await media('closeConsumer', { consumerId });
      } catch (error) {
        // Gone with its producer or room, or the media service stopped first (node shutdown):
        // closing is idempotent for egress.
        const code = toCascadeError(error).code;
        if (code !== 'CONSUMER_NOT_FOUND' && code !== 'NODE_UNAVAILABLE') throw error;
      }
    },
  };
}
