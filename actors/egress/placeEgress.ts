import type { ServiceBroker } from 'moleculer';
import { CascadeError } from '../../schemas/errors';
import type { NodeId } from '../../schemas/ids';

interface NodeView {
  id: string;
  available: boolean;
  local: boolean;
  metadata?: { roles?: unknown } | null;
}

/**
 * The node to run an egress job on: among live nodes with both the egress and media roles (ffmpeg
 * reads RTP from that node's own routers), the one that already holds most of the room's tracks,
 * so the fewest have to be piped in; ties go to this node, then to the first by id.
 */
export function chooseEgressNode(nodes: NodeView[], trackNodes: NodeId[]): NodeId {
  const roles = (n: NodeView) => (Array.isArray(n.metadata?.roles) ? (n.metadata.roles as unknown[]) : []);
  const candidates = nodes.filter((n) => n.available && roles(n).includes('egress') && roles(n).includes('media'));
  if (candidates.length === 0) throw new CascadeError('EGRESS_UNAVAILABLE', 'No live node runs the egress and media roles');
  const held = (n: NodeView) => trackNodes.filter((t) => t === n.id).length;
  const [best] = [...candidates].sort((a, b) => held(b) - held(a) || Number(b.local) - Number(a.local) || a.id.localeCompare(b.id));
  return (best as NodeView).id as NodeId;
}

export function placeEgress(broker: ServiceBroker, trackNodes: NodeId[]): NodeId {
  return chooseEgressNode(broker.registry.nodes.toArray() as NodeView[], trackNodes);
}
