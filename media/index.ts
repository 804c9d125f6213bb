/**
 * media/: everything mediasoup. Callers see plain DTOs and string ids only; mediasoup itself is
 * loaded lazily by MediaNode.create() with the worker binary it is given.
 */
export { MediaNode } from './MediaNode';
export {
  MEDIA_NODE_DEFAULTS,
  type ConnectPipeTransportRequest,
  type MediaNodeEvents,
  type MediaNodeOptions,
  type PipeConsumeRequest,
  type PipeConsumerParams,
  type PipeProduceRequest,
  type PipeTransportParams,
  type PipeTransportRequest,
  type PlainConsumerParams,
  type PlainConsumerRequest,
  type PlainProducerParams,
  type PlainProducerRequest,
  type RoomMediaStats,
  type RtpStreamStats,
  type TransportStats,
} from './MediaNodeTypes';
