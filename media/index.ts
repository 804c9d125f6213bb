/**
 * media/: everything mediasoup. Callers see plain DTOs and string ids only; mediasoup itself is
 * loaded lazily by MediaNode.create() with the worker binary it is given.
 */
export { MediaNode } from './MediaNode';
/** Every option, event and DTO type of MediaNode is part of media/'s API. */
export * from './MediaNodeTypes';
