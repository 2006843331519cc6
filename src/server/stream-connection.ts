import type { Clock, TimerHandle } from 'tradewire';
import type { WebSocket } from 'ws';
import type { ByeMessage, DropReason, HeartbeatMessage } from './protocol.js';

/** Close codes the server uses (4000–4999 are the application's). */
export const CLOSE_CODES: Readonly<Record<DropReason, number>> = { slow_consumer: 4008, heartbeat_timeout: 4009, server_closing: 1001, unauthorized: 4001, bad_message: 4003 };

export interface StreamConnectionOptions {
  readonly clock: Clock;
  readonly heartbeatMs: number;
  /** Bytes a client may fall behind before it is dropped (default 4 MiB). */
  readonly maxBufferedBytes: number;
  readonly seq: () => number;
  readonly onMessage: (connection: StreamConnection, text: string) => void;
  readonly onClosed: (connection: StreamConnection, reason: DropReason | 'client_closed', detail: string) => void;
}

/**
 * One client's WebSocket. A client that falls `maxBufferedBytes` behind is dropped with a reason
 * rather than buffered without end: the engine never waits for it, and its memory is bounded.
 * Heartbeats both ways: a `heartbeat` message when nothing else was sent (the client's liveness
 * check), and a WebSocket ping whose missing pong closes a dead connection.
 */
export class StreamConnection {
  private timer: TimerHandle | undefined;
  private sentSinceBeat = false;
  private awaitingPong = false;
  private closed = false;

  constructor(
    readonly id: string,
    readonly user: string,
    private readonly socket: WebSocket,
    private readonly options: StreamConnectionOptions,
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.drop('bad_message', 'binary messages are not part of the protocol');
      options.onMessage(this, String(data));
    });
    socket.on('pong', () => {
      this.awaitingPong = false;
    });
    socket.on('close', (code, reason) => this.ended('client_closed', `closed by the client (${code}${reason.length ? ` ${String(reason)}` : ''})`));
    socket.on('error', (error) => this.ended('client_closed', `socket error: ${error.message}`));
    this.schedule();
  }

  /** Bytes written to this client but not yet taken by the network. */
  get buffered(): number {
    return this.socket.bufferedAmount;
  }

  get open(): boolean {
    return !this.closed;
  }

  /** Sends frames (a message, or an array of event messages), or drops the client when it has fallen too far behind to take them. */
  send(frames: readonly string[]): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.drop('slow_consumer', `fell ${this.socket.bufferedAmount} bytes behind (limit ${this.options.maxBufferedBytes})`);
      return;
    }
    for (const frame of frames) this.socket.send(frame);
    this.sentSinceBeat = true;
  }

  /** Says goodbye with a reason and closes; a client that cannot take even that is cut off. */
  drop(reason: DropReason, detail: string): void {
    if (this.closed) return;
    const bye: ByeMessage = { type: 'bye', reason, message: detail };
    if (reason === 'slow_consumer' || reason === 'heartbeat_timeout') {
      // Nothing more can reach it in time: the close frame would queue behind what it never read.
      this.socket.terminate();
    } else {
      this.socket.send(JSON.stringify(bye));
      this.socket.close(CLOSE_CODES[reason], reason);
      // A peer that never answers the close (a stalled one) is cut off after a second rather than
      // ws's 30 s: shutting a server down must not wait on its slowest client. Socket plumbing,
      // not trading time, so a plain timer.
      setTimeout(() => this.socket.terminate(), 1_000).unref();
    }
    this.ended(reason, detail);
  }

  private ended(reason: DropReason | 'client_closed', detail: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.options.onClosed(this, reason, detail);
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => this.beat(), this.options.heartbeatMs);
  }

  private beat(): void {
    if (this.closed) return;
    if (this.awaitingPong) return this.drop('heartbeat_timeout', `no pong within ${this.options.heartbeatMs} ms`);
    this.awaitingPong = true;
    this.socket.ping();
    if (!this.sentSinceBeat) this.send([JSON.stringify({ type: 'heartbeat', seq: this.options.seq(), at: this.options.clock.now() } satisfies HeartbeatMessage)]);
    this.sentSinceBeat = false;
    this.schedule();
  }
}
