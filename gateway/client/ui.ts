import type { TrackSource } from '../../schemas/media';
import type { ChatMessage, JoinedData, ParticipantInfo } from '../../schemas/signaling';
import type { CallState, CallView } from './call';

/**
 * Plain-DOM view of a call: a tile per participant (`data-identity`, `data-participant-id`), our
 * own preview, chat, status line and notices. Knows nothing about signaling.
 */

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node as T;
}

/**
 * Which element of a tile plays which source. They are made when a track first needs one: a
 * media element is costly to create, and most tiles never show a screen or play their own sound.
 */
const SLOT: Record<TrackSource, { tag: 'video' | 'audio'; className: string }> = {
  camera: { tag: 'video', className: 'camera' },
  screen: { tag: 'video', className: 'screen' },
  microphone: { tag: 'audio', className: 'microphone' },
  screen_audio: { tag: 'audio', className: 'screen_audio' },
};

export class DomView implements CallView {
  readonly #grid = byId<HTMLDivElement>('grid');
  readonly #status = byId<HTMLSpanElement>('status');
  readonly #roomLabel = byId<HTMLSpanElement>('room-label');
  readonly #chatLog = byId<HTMLUListElement>('chat-log');
  readonly #chatTo = byId<HTMLSelectElement>('chat-to');
  readonly #notices = byId<HTMLDivElement>('notices');
  #selfId?: string;

  setState(state: CallState | 'idle' | 'left', detail?: string): void {
    document.body.dataset.state = state;
    const labels: Record<string, string> = {
      idle: 'Not connected',
      connecting: 'Connecting…',
      joining: 'Joining…',
      waiting: 'In the lobby',
      joined: 'Connected',
      ended: 'Disconnected',
      left: 'Left the room',
    };
    this.#status.textContent = detail ? `${labels[state] ?? state}: ${detail}` : (labels[state] ?? state);
  }

  joined(data: JoinedData): void {
    this.#selfId = data.self.id;
    this.#roomLabel.textContent = `${data.room.name} · ${data.node.region}`;
    this.clear();
    const tile = this.#tile(data.self, true);
    const name = tile.querySelector('.name');
    if (name) name.textContent = `${data.self.name} (you)`;
    for (const message of data.chatHistory) this.addChat(message, message.from.identity === data.self.identity);
  }

  /** Removes every tile and chat line (before a rejoin). */
  clear(): void {
    this.#grid.replaceChildren();
    this.#chatLog.replaceChildren();
    this.#chatTo.replaceChildren(el('option', { value: '', textContent: 'Everyone' }));
  }

  addParticipant(p: ParticipantInfo): void {
    if (this.#tileOf(p.id)) return;
    this.#tile(p, false);
    this.#chatTo.append(el('option', { value: p.identity, textContent: p.name }));
    for (const t of p.tracks) this.setRemoteMuted(p.id, t.source, t.muted);
  }

  removeParticipant(participantId: string): void {
    const tile = this.#tileOf(participantId);
    if (!tile) return;
    const identity = tile.dataset.identity;
    for (const option of this.#chatTo.querySelectorAll('option')) if (option.value === identity) option.remove();
    tile.remove();
  }

  attachTrack(participantId: string, source: TrackSource, track: MediaStreamTrack): void {
    const media = this.#media(participantId, source, true);
    if (!media) return;
    media.srcObject = new MediaStream([track]);
    media.hidden = false;
    media.play().catch(() => this.#needsGesture(media));
  }

  detachTrack(participantId: string, source: TrackSource): void {
    const media = this.#media(participantId, source, false);
    if (!media) return;
    media.srcObject = null;
    if (source === 'screen') media.hidden = true;
  }

  setRemoteMuted(participantId: string, source: TrackSource, muted: boolean): void {
    const tile = this.#tileOf(participantId);
    if (tile) tile.toggleAttribute(`data-${source.replace('_', '-')}-muted`, muted);
  }

  setActiveSpeaker(participantId: string): void {
    for (const tile of this.#grid.querySelectorAll<HTMLElement>('.tile')) tile.classList.toggle('speaking', tile.dataset.participantId === participantId);
  }

  addChat(message: ChatMessage, mine: boolean): void {
    const time = new Date(message.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const who = mine ? 'You' : message.from.name;
    const item = el('li', { className: mine ? 'mine' : '' }, el('span', { className: 'who', textContent: who }), el('span', { className: 'time', textContent: time }));
    if (message.to) item.append(el('span', { className: 'private', textContent: 'private' }));
    item.append(el('p', { textContent: message.text }));
    this.#chatLog.append(item);
    this.#chatLog.scrollTop = this.#chatLog.scrollHeight;
  }

  setLocalTrack(source: TrackSource, track: MediaStreamTrack | null): void {
    if (this.#selfId && (source === 'camera' || source === 'screen')) {
      const video = this.#media(this.#selfId, source, Boolean(track));
      if (video) {
        video.srcObject = track ? new MediaStream([track]) : null;
        video.hidden = source === 'screen' && !track;
        if (track) void video.play().catch(() => undefined);
      }
    }
    const button = document.querySelector<HTMLButtonElement>(`button[data-source="${source}"]`);
    if (button) {
      button.disabled = !track && source !== 'screen';
      button.toggleAttribute('data-active', Boolean(track));
      if (source === 'screen') button.textContent = track ? 'Stop sharing' : 'Share screen';
    }
  }

  setLocalMuted(source: TrackSource, muted: boolean): void {
    const button = document.querySelector<HTMLButtonElement>(`button[data-source="${source}"]`);
    if (button) {
      button.toggleAttribute('data-muted', muted);
      button.textContent = `${muted ? 'Unmute' : 'Mute'} ${source === 'camera' ? 'camera' : 'mic'}`;
    }
    if (this.#selfId) this.setRemoteMuted(this.#selfId, source, muted);
  }

  notice(text: string): void {
    const item = el('div', { className: 'notice', textContent: text });
    this.#notices.append(item);
    window.setTimeout(() => item.remove(), 8000);
  }

  #tile(p: ParticipantInfo, self: boolean): HTMLDivElement {
    const tile = el(
      'div',
      { className: self ? 'tile self' : 'tile' },
      el('div', { className: 'label' }, el('span', { className: 'name', textContent: p.name }), el('span', { className: 'mic-off', title: 'Microphone muted', textContent: 'muted' })),
    );
    tile.dataset.participantId = p.id;
    tile.dataset.identity = p.identity;
    if (self) this.#grid.prepend(tile);
    else this.#grid.append(tile);
    return tile;
  }

  /** The tile's element for `source`, made (under the label) when `create` and it has none yet. */
  #media(participantId: string, source: TrackSource, create: boolean): HTMLMediaElement | null {
    const tile = this.#tileOf(participantId);
    const { tag, className } = SLOT[source];
    const existing = tile?.querySelector<HTMLMediaElement>(`${tag}.${className}`);
    if (!tile || existing || !create) return existing ?? null;
    // Videos are muted: sound always comes as a track of its own.
    const media = tag === 'video' ? el('video', { className, autoplay: true, playsInline: true, muted: true }) : el('audio', { className, autoplay: true });
    tile.insertBefore(media, tile.querySelector('.label'));
    return media;
  }

  #tileOf(participantId: string): HTMLDivElement | null {
    return this.#grid.querySelector<HTMLDivElement>(`.tile[data-participant-id="${CSS.escape(participantId)}"]`);
  }

  /** Browsers may refuse to play sound before the user touched the page: one click fixes it. */
  #needsGesture(media: HTMLMediaElement): void {
    const resume = () => {
      void media.play().catch(() => undefined);
      document.removeEventListener('click', resume);
    };
    document.addEventListener('click', resume);
    this.notice('Click anywhere to enable sound');
  }
}
