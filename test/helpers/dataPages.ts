import type { Page } from 'playwright-core';
import { poll, type ClientPage } from './browser';

/** Data messages from the browser client's `window.cascade` hooks (see docs/protocol.md). */

export interface ReceivedData {
  from: string;
  topic?: string;
  text: string;
  bytes: number;
}

interface Hooks {
  state: string;
  dataReady: boolean;
  dataMessages: ReceivedData[];
  errors: Array<{ code: string; message: string }>;
  sendData(payload: string, options?: { topic?: string; to?: string[] }): Promise<void>;
}
declare const window: { cascade: Hooks };

export const dataMessages = (page: Page): Promise<ReceivedData[]> => page.evaluate(() => [...window.cascade.dataMessages]);
export const pageErrors = (page: Page): Promise<Array<{ code: string; message: string }>> => page.evaluate(() => [...window.cascade.errors]);
export const describeData = (list: ReceivedData[]): string[] => list.map((m) => `${m.from}:${m.topic ?? '-'}:${m.text}`);

/** Sends from the page; resolves with 'sent', or the error code the client refused it with. */
export function sendData(page: Page, payload: string, options: { topic?: string; to?: string[] } = {}): Promise<string> {
  return page.evaluate(
    async ([p, o]) => {
      try {
        await window.cascade.sendData(p, o);
        return 'sent';
      } catch (err) {
        return (err as { code?: string }).code ?? String(err);
      }
    },
    [payload, options] as const,
  );
}

/** Until every page has joined and opened its data channels (only messages sent after that reach it). */
export async function waitForDataReady(clients: Record<string, ClientPage>, timeoutMs = 45_000): Promise<void> {
  await poll(
    `${Object.keys(clients).join(', ')} to open their data channels`,
    async () => {
      const states = await Promise.all(
        Object.entries(clients).map(async ([name, c]) => {
          const s = await c.page.evaluate(() => ({ state: window.cascade.state, ready: window.cascade.dataReady }));
          return `${name} ${s.state}${s.ready ? ' data-ready' : ''}`;
        }),
      );
      const log = Object.values(clients).flatMap((c) => c.log.slice(-2));
      return { done: states.every((s) => s.endsWith('data-ready')), detail: `${states.join(', ')}; log ${log.join(' | ')}` };
    },
    { timeoutMs },
  );
}

/** Until `client` has received at least `count` data messages; returns them all. */
export async function waitForData(name: string, client: ClientPage, count: number, timeoutMs = 30_000): Promise<ReceivedData[]> {
  let list: ReceivedData[] = [];
  await poll(
    `${name} to receive ${count} data messages`,
    async () => {
      list = await dataMessages(client.page);
      return { done: list.length >= count, detail: `has [${describeData(list).join(' | ')}]` };
    },
    { timeoutMs },
  );
  return list;
}
