import { RoomMessages } from '../../schemas/actors';
import { ClientRequests, ClientEnvelopeSchema } from '../../schemas/signaling';
import { validator } from '../../schemas/validate';
import { CascadeError, toCascadeError } from '../../schemas/errors';

describe('schemas', () => {
  it('accept a well-formed request and reject wrong types with field paths', () => {
    const produce = validator(ClientRequests.produce.request);
    expect(produce.check({ transportId: 't', kind: 'video', rtpParameters: {}, source: 'camera' })).toBe(true);
    try {
      produce.parse({ transportId: 7, kind: 'smell', rtpParameters: [], source: 'camera' });
      throw new Error('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(CascadeError);
      const e = err as CascadeError;
      expect(e.code).toBe('VALIDATION_FAILED');
      expect(e.fields?.map((f) => f.path)).toEqual(expect.arrayContaining(['/transportId', '/kind', '/rtpParameters']));
    }
  });

  it('reject envelopes without id or method and oversized strings', () => {
    const envelope = validator(ClientEnvelopeSchema);
    expect(envelope.check({ id: 1, method: 'join' })).toBe(true);
    expect(envelope.check({ method: 'join' })).toBe(false);
    expect(envelope.check({ id: 1, method: 'x'.repeat(65) })).toBe(false);
    expect(validator(ClientRequests.chat.request).check({ text: 'x'.repeat(4001) })).toBe(false);
    expect(validator(ClientRequests.chat.request).check({ text: '' })).toBe(false);
  });

  it('reject room ids with path characters', () => {
    const get = validator(RoomMessages.get);
    expect(get.check({ roomId: 'rm_abc-1.2' })).toBe(true);
    expect(get.check({ roomId: '../etc' })).toBe(false);
  });

  it('recover error codes that crossed the transporter', () => {
    expect(toCascadeError({ type: 'ROOM_FULL', message: 'full' }).code).toBe('ROOM_FULL');
    expect(toCascadeError({ type: 'REQUEST_TIMEOUT', message: 't' }).code).toBe('TIMEOUT');
    expect(toCascadeError({ type: 'SERVICE_NOT_FOUND' }).code).toBe('NODE_UNAVAILABLE');
    const v = toCascadeError({ type: 'VALIDATION_ERROR', data: [{ path: '/roomId', message: 'bad' }] });
    expect(v.code).toBe('VALIDATION_FAILED');
    expect(v.fields).toEqual([{ path: '/roomId', message: 'bad' }]);
    expect(toCascadeError(new Error('boom')).code).toBe('INTERNAL');
  });
});
