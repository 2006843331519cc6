import { silentLogger } from 'tradewire';
import { TradewireClient, type ClientEvents, type EventMessage, type Snapshot } from 'tradewire/client';
import { createServer, type TradewireServer, type TradewireServerOptions } from 'tradewire/server';
import { WebSocket } from 'ws';

export const WATCH_TOKEN = 'watch-token-0123456789abcdef';
export const CONTROL_TOKEN = 'control-token-0123456789abcdef';
export const TOKENS = { tokens: [{ token: WATCH_TOKEN, user: 'viewer' }, { token: CONTROL_TOKEN, user: 'alice', control: true }] } as const;

export { engineOnMock } from '../helpers.js';

export async function serve(options: TradewireServerOptions): Promise<TradewireServer> {
  return createServer({ port: 0, logger: silentLogger, assetsDir: false, ...options });
}

/** A Node client (ws's WebSocket) that records everything it hears. */
export function recordingClient(server: TradewireServer, token?: string) {
  const client = new TradewireClient({ url: server.url, ...(token ? { token } : {}), WebSocket, reconnectDelayMs: { initial: 20, max: 100 } });
  const events: EventMessage[] = [];
  const snapshots: Snapshot[] = [];
  const statuses: ClientEvents['status'][] = [];
  client.on('event', (m) => void events.push(m));
  client.on('snapshot', (s) => void snapshots.push(s));
  client.on('status', (s) => void statuses.push(s));
  return { client, events, snapshots, statuses };
}

/** Resolves once `check` holds (polled every 5 ms; real sockets need real time), or fails after `ms`. */
export async function until(check: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function http(server: TradewireServer, method: 'GET' | 'POST', path: string, options: { token?: string; body?: unknown; contentType?: string } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (method === 'POST') headers['content-type'] = options.contentType ?? 'application/json';
  const response = await fetch(new URL(path, server.url), { method, headers, ...(method === 'POST' ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body ?? {}) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
