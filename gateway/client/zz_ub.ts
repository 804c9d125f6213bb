import type { Unbranded } from './signaling';
import type { RequestData } from '../../schemas/signaling';
const a: Unbranded<RequestData<'createTransport'>> = { direction: 'send' };
// @ts-expect-error literal union kept
const b: Unbranded<RequestData<'createTransport'>> = { direction: 'sideways' };
const c: Unbranded<RequestData<'consume'>> = { producerId: 'plain-string' as string };
export { a, b, c };
