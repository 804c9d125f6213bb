import { Initial1732147200000 } from './0001-initial';
import { EgressNodesRecordings1763683200000 } from './0002-egress-nodes-recordings';

/** Every migration in order. Class names end in a JS timestamp, which typeorm sorts by. */
export const MIGRATIONS = [Initial1732147200000, EgressNodesRecordings1763683200000];
