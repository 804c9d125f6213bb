import { RoomCall, type CallStats, type EndReason } from './call';
import type { DataMessage, SendDataOptions } from './data';
import { byId, DomView } from './ui';

/**
 * Entry point of the browser client: the join form, the call controls, automatic rejoin, and
 * `window.cascade`, the hooks end-to-end tests read (state, events, media stats).
 *
 * URL parameters: `room`, `name`, `identity` (open mode), `token` (token mode), `autojoin=1`.
 */

interface CascadeHooks {
  readonly state: string;
  readonly endReason: EndReason | undefined;
  readonly self: { id: string; identity: string; name: string } | undefined;
  /** Names of every server event received, in order (bounded). */
  readonly events: string[];
  /** Data of the `error` events received (failures not tied to a request, e.g. a refused data message). */
  readonly errors: Array<{ code: string; message: string }>;
  /** Identities of the remote tiles currently shown. */
  remoteIdentities(): string[];
  getStats(): Promise<CallStats>;
  leave(): Promise<void>;
  /** Data messages received (bounded), payloads decoded as UTF-8; each also fires `cascade:data` on window. */
  readonly dataMessages: Array<{ from: string; topic?: string; text: string; bytes: number }>;
  /** Data channels open both ways (receive-only for viewers). */
  readonly dataReady: boolean;
  /** Rejects with a SignalingError whose `code` is FORBIDDEN (viewers), MESSAGE_TOO_LARGE or CLOSED. */
  sendData(payload: string | Uint8Array, options?: SendDataOptions): Promise<void>;
}

declare global {
  interface Window {
    cascade: CascadeHooks;
  }
}

const MAX_RETRIES = 5;
const query = new URLSearchParams(location.search);
const view = new DomView();
const events: string[] = [];
const errors: CascadeHooks['errors'] = [];
const dataMessages: CascadeHooks['dataMessages'] = [];
const textDecoder = new TextDecoder();
let call: RoomCall | undefined;
let authMode = 'token';
/** From the page (gateway/http/clientPage.ts): the device can load before the socket is open. */
let routerRtpCapabilities: Record<string, unknown> | undefined;
let state = 'idle';
let endReason: EndReason | undefined;
let retries = 0;
let joinedOnce = false;
/** Kept across rejoins so the room sees the same person come back (open mode). */
let identity = query.get('identity') ?? '';

const form = byId<HTMLFormElement>('join-form');
const roomInput = byId<HTMLInputElement>('room');
const nameInput = byId<HTMLInputElement>('name');
const tokenInput = byId<HTMLInputElement>('token');

function wsUrl(): string {
  const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const params = new URLSearchParams();
  const token = tokenInput.value.trim();
  if (token) params.set('token', token);
  else {
    params.set('room', roomInput.value.trim());
    if (!identity) identity = `${slug(nameInput.value) || 'guest'}-${Math.random().toString(36).slice(2, 8)}`;
    params.set('identity', identity);
    if (nameInput.value.trim()) params.set('name', nameInput.value.trim());
  }
  return `${base}?${params.toString()}`;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 24);
}

function startCall(): void {
  endReason = undefined;
  document.body.dataset.phase = 'call';
  const current = new RoomCall({
    wsUrl: wsUrl(),
    name: nameInput.value.trim(),
    view: {
      ...bindView(),
      setState: (s, detail) => {
        state = s;
        if (s === 'joined') {
          joinedOnce = true;
          retries = 0;
        }
        view.setState(s, detail);
      },
    },
    onEvent: (event, data) => {
      events.push(event);
      if (events.length > 500) events.shift();
      if (event === 'error' && errors.length < 100) errors.push(data as { code: string; message: string });
    },
    onData: (message) => onData(message),
    onEnded: (reason, message) => onEnded(current, reason, message),
    ...(routerRtpCapabilities ? { routerRtpCapabilities } : {}),
  });
  call = current;
  void current.start();
}

/** The view's methods bound to it, so the call can hold them as a plain object. */
function bindView() {
  return {
    joined: view.joined.bind(view),
    addParticipant: view.addParticipant.bind(view),
    removeParticipant: view.removeParticipant.bind(view),
    attachTrack: view.attachTrack.bind(view),
    detachTrack: view.detachTrack.bind(view),
    setRemoteMuted: view.setRemoteMuted.bind(view),
    setActiveSpeaker: view.setActiveSpeaker.bind(view),
    addChat: view.addChat.bind(view),
    setLocalTrack: view.setLocalTrack.bind(view),
    setLocalMuted: view.setLocalMuted.bind(view),
    notice: view.notice.bind(view),
  };
}

function onData(message: DataMessage): void {
  dataMessages.push({ from: message.from, ...(message.topic !== undefined ? { topic: message.topic } : {}), text: textDecoder.decode(message.payload), bytes: message.payload.length });
  if (dataMessages.length > 500) dataMessages.shift();
  window.dispatchEvent(new CustomEvent<DataMessage>('cascade:data', { detail: message }));
}

function onEnded(ended: RoomCall, reason: EndReason, message: string): void {
  if (call !== ended) return;
  call = undefined;
  endReason = reason;
  const retry = reason === 'reconnect' || (reason === 'connection_lost' && joinedOnce && retries < MAX_RETRIES);
  if (retry) {
    retries++;
    // At once when asked to, and on the first loss (its node died or stopped: every second counts
    // and another node is ready); then backing off, so a server that is down is not hammered.
    const delay = reason === 'reconnect' || retries === 1 ? 0 : Math.min(500 * 2 ** (retries - 1), 8000);
    view.notice(`${message}; rejoining${delay ? ` in ${Math.round(delay / 1000)} s` : ''}`);
    state = 'reconnecting';
    view.setState('connecting', 'Rejoining…');
    window.setTimeout(startCall, delay);
    return;
  }
  state = reason === 'left' ? 'left' : 'ended';
  view.setState(reason === 'left' ? 'left' : 'ended', message);
  if (reason !== 'left') view.notice(message);
  view.clear();
  document.body.dataset.phase = 'form';
}

async function toggleMute(source: 'microphone' | 'camera'): Promise<void> {
  const publisher = call?.publisher;
  if (!publisher?.isPublished(source)) return;
  await publisher.setMuted(source, !publisher.isMuted(source));
}

async function toggleScreen(): Promise<void> {
  const publisher = call?.publisher;
  if (!publisher) return;
  if (publisher.isPublished('screen')) await publisher.unpublish('screen');
  else await publisher.startScreenShare().catch((err: Error) => view.notice(`Screen share failed: ${err.message}`));
}

function wireControls(): void {
  byId<HTMLButtonElement>('btn-mic').onclick = () => void toggleMute('microphone').catch((e: Error) => view.notice(e.message));
  byId<HTMLButtonElement>('btn-cam').onclick = () => void toggleMute('camera').catch((e: Error) => view.notice(e.message));
  byId<HTMLButtonElement>('btn-screen').onclick = () => void toggleScreen();
  byId<HTMLButtonElement>('btn-leave').onclick = () => void call?.leave();
  const chatForm = byId<HTMLFormElement>('chat-form');
  const chatInput = byId<HTMLInputElement>('chat-input');
  const chatTo = byId<HTMLSelectElement>('chat-to');
  chatForm.onsubmit = (ev) => {
    ev.preventDefault();
    const text = chatInput.value.trim();
    if (!text || !call) return;
    chatInput.value = '';
    call.sendChat(text, chatTo.value || undefined).catch((e: Error) => view.notice(`Chat failed: ${e.message}`));
  };
  form.onsubmit = (ev) => {
    ev.preventDefault();
    if (call) return;
    joinedOnce = false;
    retries = 0;
    startCall();
  };
}

/** The page's inline config (no round trip); /client-config.json when the page has none. */
async function loadClientConfig(): Promise<void> {
  let config: { authMode?: string; rtpCapabilities?: Record<string, unknown> } | undefined;
  try {
    const inline = document.getElementById('cascade-config')?.textContent;
    config = inline ? (JSON.parse(inline) as typeof config) : ((await (await fetch('/client-config.json')).json()) as typeof config);
  } catch {
    config = undefined;
  }
  authMode = config?.authMode ?? 'token';
  routerRtpCapabilities = config?.rtpCapabilities;
  document.body.dataset.authMode = authMode;
  tokenInput.required = authMode !== 'open';
  roomInput.required = authMode === 'open';
}

window.cascade = {
  get state() {
    return state;
  },
  get endReason() {
    return endReason;
  },
  get self() {
    const self = call?.self;
    return self ? { id: self.id, identity: self.identity, name: self.name } : undefined;
  },
  events,
  errors,
  remoteIdentities: () => [...document.querySelectorAll<HTMLElement>('#grid .tile:not(.self)')].map((t) => t.dataset.identity ?? ''),
  getStats: async () => {
    const empty: CallStats = {
      inboundVideoFramesDecoded: 0,
      inboundAudioPackets: 0,
      inboundBytes: 0,
      outboundVideoFramesEncoded: 0,
      outboundAudioPackets: 0,
      consumers: 0,
      byIdentity: {},
    };
    return call ? call.stats() : empty;
  },
  leave: async () => {
    await call?.leave();
  },
  dataMessages,
  get dataReady() {
    return call?.dataReady ?? false;
  },
  sendData: async (payload, options) => {
    if (!call) throw new Error('Not in a call');
    await call.sendData(payload, options);
  },
};

async function main(): Promise<void> {
  roomInput.value = query.get('room') ?? '';
  nameInput.value = query.get('name') ?? '';
  tokenInput.value = query.get('token') ?? '';
  view.setState('idle');
  document.body.dataset.phase = 'form';
  wireControls();
  const configured = loadClientConfig();
  // An inline config is read synchronously above; only a fetched one would delay the call, which does not need it.
  if (document.getElementById('cascade-config')) await configured;
  if (query.get('autojoin') === '1' && (tokenInput.value || roomInput.value)) startCall();
  await configured;
}

void main();
