import type { MediaNode } from '../media';
import { toCascadeError } from '../schemas/errors';
import { plainConsumerInfo, plainConsumerRequest, type EgressMediaPort } from './EgressMediaPort';

/**
 * EgressMediaPort over a MediaNode in this process. (An egress job on another node than the
 * media goes through the broker instead: the same three calls as actions.) The node's plain
 * consumer is already resumed; resumeConsumer then only asks for the key frame ffmpeg needs
 * once it listens.
 */
export function mediaNodePort(node: Pick<MediaNode, 'createPlainConsumer' | 'resumeConsumer' | 'closeConsumer'>): EgressMediaPort {
  return {
    createPlainConsumer: async (request) => plainConsumerInfo(await node.createPlainConsumer(plainConsumerRequest(request))),
    resumeConsumer: (consumerId) => node.resumeConsumer({ consumerId }),
    async closeConsumer(consumerId) {
      try {
        await node.closeConsumer({ consumerId });
      } catch (error) {
        // Already gone with its producer or room: closing is idempotent for egress.
        if (toCascadeError(error).code !== 'CONSUMER_NOT_FOUND') throw error;
      }
    },
  };
}
