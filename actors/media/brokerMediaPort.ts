import type { ServiceBroker } from 'moleculer';
import type { MediaMethod, MediaPort } from '../participant/ParticipantTypes';

/** MediaPort over Moleculer: every call goes to the `media` service of the named node. */
export function brokerMediaPort(broker: ServiceBroker): MediaPort {
  const call =
    <M extends MediaMethod>(method: M) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (nodeId: string, request: object): Promise<any> =>
      broker.call(`media.${method}`, request, { nodeID: nodeId });
  return {
    createWebRtcTransport: call('createWebRtcTransport'),
    connectTransport: call('connectTransport'),
    restartIce: call('restartIce'),
    produce: call('produce'),
    closeProducer: call('closeProducer'),
    pauseProducer: call('pauseProducer'),
    resumeProducer: call('resumeProducer'),
    consume: call('consume'),
    resumeConsumer: call('resumeConsumer'),
    setConsumerPreferredLayers: call('setConsumerPreferredLayers'),
    closeParticipant: call('closeParticipant'),
    produceData: call('produceData'),
    consumeData: call('consumeData'),
  };
}
