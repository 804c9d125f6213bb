/**
 * The one table of error codes. REST answers `{error: {code, message, fields?}}` with `status`;
 * WebSocket answers `{id, ok: false, error: {code, message, fields?}}`; errors crossing the
 * Moleculer transporter carry the code in `type` and are matched on it, never on `instanceof`.
 */
export const ErrorCodes = {
  BAD_JSON: { status: 400, message: 'Message is not valid JSON' },
  VALIDATION_FAILED: { status: 400, message: 'Message does not match its schema' },
  UNKNOWN_METHOD: { status: 400, message: 'Unknown method' },
  MESSAGE_TOO_LARGE: { status: 413, message: 'Message exceeds the size limit' },
  TOKEN_MISSING: { status: 401, message: 'No access token was given' },
  TOKEN_INVALID: { status: 401, message: 'Access token is invalid' },
  TOKEN_EXPIRED: { status: 401, message: 'Access token has expired' },
  UNAUTHORIZED: { status: 401, message: 'Authentication required' },
  FORBIDDEN: { status: 403, message: 'Not allowed for this role' },
  NOT_JOINED: { status: 409, message: 'Join the room first' },
  ALREADY_JOINED: { status: 409, message: 'Already joined' },
  ROOM_NOT_FOUND: { status: 404, message: 'Room not found' },
  ROOM_CLOSED: { status: 410, message: 'Room is closed' },
  ROOM_FULL: { status: 409, message: 'Room is full' },
  ROOM_LOCKED: { status: 423, message: 'Room is locked' },
  WRONG_PASSWORD: { status: 403, message: 'Wrong room password' },
  DUPLICATE_IDENTITY: { status: 409, message: 'Identity already in the room' },
  IN_LOBBY: { status: 409, message: 'Waiting in the lobby' },
  LOBBY_REJECTED: { status: 403, message: 'Rejected from the lobby' },
  PARTICIPANT_NOT_FOUND: { status: 404, message: 'Participant not found' },
  TRANSPORT_NOT_FOUND: { status: 404, message: 'Transport not found' },
  PRODUCER_NOT_FOUND: { status: 404, message: 'Track not found' },
  CONSUMER_NOT_FOUND: { status: 404, message: 'Consumer not found' },
  CANNOT_CONSUME: { status: 422, message: 'Cannot consume this track with the given capabilities' },
  MEDIA_ERROR: { status: 502, message: 'Media node failed the request' },
  NODE_UNAVAILABLE: { status: 503, message: 'No media node is available' },
  EGRESS_NOT_FOUND: { status: 404, message: 'Egress job not found' },
  EGRESS_FAILED: { status: 500, message: 'Egress failed' },
  EGRESS_UNAVAILABLE: { status: 503, message: 'No egress node is available' },
  RECORDING_DISABLED: { status: 403, message: 'Recording is disabled for this room' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'Conflict' },
  TIMEOUT: { status: 504, message: 'Request timed out' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export interface FieldError {
  path: string;
  message: string;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  fields?: FieldError[];
}

/** A domain error. Thrown anywhere; turned into REST/WS bodies by the gateway. */
export class CascadeError extends Error {
  readonly code: ErrorCode;
  readonly fields?: FieldError[];
  /** Moleculer serializes `type` and `data` across the transporter; toCascadeError reads them back. */
  readonly type: ErrorCode;
  readonly data?: { fields: FieldError[] };

  constructor(code: ErrorCode, message?: string, fields?: FieldError[]) {
    super(message ?? ErrorCodes[code].message);
    this.name = 'CascadeError';
    this.code = code;
    this.type = code;
    if (fields) {
      this.fields = fields;
      this.data = { fields };
    }
  }

  get status(): number {
    return ErrorCodes[this.code].status;
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}) };
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ErrorCodes, value);
}

/**
 * Recovers a CascadeError from anything thrown, including Moleculer errors that crossed the
 * transporter (their `type` holds our code, `data.fields` the field errors). Moleculer's own
 * timeout / not-found / rejected errors map to TIMEOUT / NODE_UNAVAILABLE.
 */
export function toCascadeError(err: unknown): CascadeError {
  if (err instanceof CascadeError) return err;
  const e = err as { type?: unknown; code?: unknown; message?: unknown; data?: { fields?: FieldError[] } } | null;
  if (e && typeof e === 'object') {
    const message = typeof e.message === 'string' ? e.message : undefined;
    if (isErrorCode(e.type)) return new CascadeError(e.type, message, e.data?.fields);
    if (isErrorCode(e.code)) return new CascadeError(e.code, message, e.data?.fields);
    if (e.type === 'REQUEST_TIMEOUT') return new CascadeError('TIMEOUT', message);
    if (e.type === 'SERVICE_NOT_FOUND' || e.type === 'SERVICE_NOT_AVAILABLE' || e.type === 'REQUEST_REJECTED')
      return new CascadeError('NODE_UNAVAILABLE', message);
    if (e.type === 'VALIDATION_ERROR') {
      // Moleculer's validator middleware puts the checker's field errors in `data`.
      const data = e.data as unknown;
      const fields = Array.isArray(data) ? data.map((f: FieldError) => ({ path: f.path, message: f.message })) : undefined;
      return new CascadeError('VALIDATION_FAILED', undefined, fields);
    }
  }
  return new CascadeError('INTERNAL');
}
