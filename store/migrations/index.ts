import { Initial1732147200000 } from './0001-initial';

/** Every migration in order. Class names end in a JS timestamp, which typeorm sorts by. */
export const MIGRATIONS = [Initial1732147200000];
