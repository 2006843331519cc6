import { TradewireClient, type WebSocketLike } from 'tradewire/client';
import { describe, expect, it } from 'vitest';

/** An in-memory WebSocket the test speaks for, and timers it fires by hand. */
function harness() {
  const sockets: FakeSocket[] = [];
  class FakeSocket implements WebSocketLike {
    readyState = 0;
    private readonly listeners = new Map<string, ((e: never) => void)[]>();
    readonly sent: string[] = [];
    constructor(
      readonly url: string,
      readonly protocols?: string | string[],
    ) {
      sockets.push(this);
    }
    addEventListener(type: string, listener: (e: never) => void): void {
      this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
    }
    dispatch(type: string, event: unknown): void {
      for (const l of this.listeners.get(type) ?? []) (l as (e: unknown) => void)(event);
    }
    send(data: string): void {
      this.sent.push(data);
    }
    close(): void {
      this.readyState = 3;
    }
    open(): void {
      this.readyState = 1;
      this.dispatch('open', {});
    }
    frame(value: unknown): void {
      this.dispatch('message', { data: JSON.stringify(value) });
    }
  }
  let now = 0;
  const timers: { at: number; cb: () => void; id: number }[] = [];
  let nextId = 1;
  const clock = {
    setTimeout: (cb: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: now + ms, cb, id });
      return id;
    },
    clearTimeout: (id: unknown) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number): void => {
    now += ms;
    for (let t = timers.sort((a, b) => a.at - b.at)[0]; t && t.at <= now; t = timers.sort((a, b) => a.at - b.at)[0]) {
      timers.splice(timers.indexOf(t), 1);
      t.cb();
    }
  };
  const client = new TradewireClient({ url: 'http://127.0.0.1:8787/', token: 'tok/en+1', WebSocket: FakeSocket, timers: clock, reconnectDelayMs: { initial: 100, max: 400 } });
  const seen: number[] = [];
  const gaps: unknown[] = [];
  const snapshots: number[] = [];
  client.on('event', (m) => void seen.push(m.seq));
  client.on('gap', (g) => void gaps.push(g));
  client.on('snapshot', (s) => void snapshots.push(s.seq));
  return { client, sockets, advance, seen, gaps, snapshots };
}

const hello = (session: string, seq: number) => ({ type: 'hello', protocol: 1, session, seq, heartbeatMs: 1_000, control: false, resume: 'snapshot' });
const snapshot = (seq: number) => ({ type: 'snapshot', seq, data: { seq } });
const event = (seq: number) => ({ type: 'event', seq, at: 0, account: 'a', event: 'alert', data: {} });

describe('TradewireClient', () => {
  it('offers the token as a subprotocol, applies each event once and in order, and resyncs on a gap', () => {
    const { client, sockets, seen, gaps, snapshots } = harness();
    client.connect();
    const socket = sockets[0]!;
    expect(socket.url).toBe('ws://127.0.0.1:8787/ws');
    expect(socket.protocols).toEqual(['tradewire.v1', `tradewire.auth.${Buffer.from('tok/en+1').toString('base64url')}`]);
    socket.open();
    socket.frame(hello('s1', 5));
    socket.frame(snapshot(5));
    socket.frame([event(6), event(7)]);
    socket.frame(event(7)); // a duplicate
    socket.frame(event(9)); // 8 is missing
    socket.frame(event(10)); // still resyncing
    expect(seen).toEqual([6, 7]);
    expect(gaps).toEqual([{ expected: 8, got: 9 }]);
    expect(socket.sent).toEqual([JSON.stringify({ type: 'snapshot' })]);
    socket.frame(snapshot(10));
    socket.frame(event(11));
    expect(seen).toEqual([6, 7, 11]);
    expect(snapshots).toEqual([5, 10]);
    expect(client.lastSeq).toBe(11);
  });

  it('reconnects with backoff after a close, resuming from its session and last sequence number', () => {
    const { client, sockets, advance } = harness();
    const statuses: string[] = [];
    client.on('status', (s) => void statuses.push(s.status));
    client.connect();
    sockets[0]!.open();
    sockets[0]!.frame(hello('s1', 3));
    sockets[0]!.frame(snapshot(3));
    sockets[0]!.frame(event(4));
    sockets[0]!.dispatch('close', { code: 1006, reason: '' });
    advance(99);
    expect(sockets).toHaveLength(1);
    advance(1);
    expect(sockets[1]!.url).toBe('ws://127.0.0.1:8787/ws?session=s1&since=4');
    sockets[1]!.dispatch('close', { code: 1006, reason: '' }); // refused again: the next wait doubles
    advance(199);
    expect(sockets).toHaveLength(2);
    advance(1);
    expect(sockets).toHaveLength(3);
    expect(statuses).toEqual(['connecting', 'open', 'reconnecting', 'reconnecting', 'reconnecting', 'reconnecting']);
    client.close();
    expect(client.connectionStatus).toBe('closed');
  });

  it('treats 2.5 heartbeats of silence as a dead connection', () => {
    const { client, sockets, advance } = harness();
    client.connect();
    sockets[0]!.open();
    sockets[0]!.frame(hello('s1', 0));
    advance(2_000);
    sockets[0]!.frame({ type: 'heartbeat', seq: 0, at: 0 }); // alive: the wait starts again
    advance(2_000);
    expect(sockets).toHaveLength(1);
    advance(500); // 2 500 ms since the last message
    advance(100); // the first reconnect delay
    expect(sockets).toHaveLength(2);
    client.close();
  });
});
