import { type Clock, type ConnectionChange, describeError, type Logger, type TimerHandle } from 'tradewire';
import type { OandaClient } from './client.js';
import type { OandaTransactionJson } from './wire.js';

export interface TransactionFeedOptions {
  readonly client: OandaClient;
  readonly accountId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `stream`: the transaction stream; `poll`: `GET …/changes` every `pollIntervalMs`. */
  readonly mode: 'stream' | 'poll';
  /** No line (OANDA sends a heartbeat every 5 s) for this long: the stream is dead, reconnect. */
  readonly heartbeatTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  /** Every transaction, once, in id order. */
  readonly onTransaction: (transaction: OandaTransactionJson) => void;
  readonly onConnection: (change: ConnectionChange) => void;
}

/**
 * The account's transactions, each delivered once and in order, whatever the connection does.
 *
 * Stream mode: a heartbeat watchdog aborts a silent stream; it reconnects with backoff, and on every
 * (re)connection first replays what it missed from the last transaction id it delivered
 * (`…/transactions/sinceid`), holding the live lines back until the replay is done. Poll mode asks
 * `…/changes?sinceTransactionID=` on a timer. Both go through one delivery path that drops ids
 * already seen. All timers run on the injected clock.
 */
export class TransactionFeed {
  private lastId: bigint;
  private running = false;
  private controller: AbortController | undefined;
  private watchdog: TimerHandle | undefined;
  private timer: TimerHandle | undefined;
  private attempts = 0;
  private everConnected = false;
  private up = false;
  lastMessageAt: number | undefined;

  constructor(
    private readonly options: TransactionFeedOptions,
    lastTransactionId: string,
  ) {
    this.lastId = BigInt(lastTransactionId);
  }

  get connected(): boolean {
    return this.up;
  }

  get lastTransactionId(): string {
    return this.lastId.toString();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.mode === 'poll') {
      this.up = true;
      this.options.onConnection({ state: 'connected', at: this.options.clock.now() });
      this.schedulePoll();
    } else {
      void this.connectStream();
    }
  }

  stop(): void {
    this.running = false;
    this.controller?.abort();
    for (const handle of [this.watchdog, this.timer]) if (handle !== undefined) this.options.clock.clearTimeout(handle);
    this.watchdog = undefined;
    this.timer = undefined;
    if (this.up) this.down('client disconnected');
  }

  /** Catches up from the last delivered id now (the adapter calls it after it hears of a gap). */
  async catchUp(): Promise<void> {
    const { client, accountId } = this.options;
    const answer = await client.get<{ transactions: OandaTransactionJson[]; lastTransactionID: string }>(`/v3/accounts/${accountId}/transactions/sinceid?id=${this.lastId.toString()}`);
    for (const tx of answer.transactions) this.deliver(tx);
  }

  private async connectStream(): Promise<void> {
    const { client, accountId, clock } = this.options;
    const controller = new AbortController();
    this.controller = controller;
    const held: OandaTransactionJson[] = [];
    let replaying = true;
    this.armWatchdog(controller);
    try {
      await client.stream(
        `/v3/accounts/${accountId}/transactions/stream`,
        {
          onOpen: () => {
            // Connected: replay the gap first; live lines wait in `held` until it is done.
            void this.catchUp()
              .then(() => {
                replaying = false;
                for (const tx of held.splice(0)) this.deliver(tx);
                this.attempts = 0;
                this.up = true;
                this.options.onConnection({ state: this.everConnected ? 'reconnected' : 'connected', at: clock.now(), ...(this.everConnected ? { reason: `replayed from transaction ${this.lastId.toString()}` } : {}) });
                this.everConnected = true;
              })
              .catch((error: unknown) => {
                this.options.logger.warn('oanda: replay after connecting failed; reconnecting', { error: describeError(error) });
                controller.abort();
              });
          },
          onLine: (line) => {
            this.lastMessageAt = clock.now();
            this.armWatchdog(controller);
            // Transaction ids are consecutive per account: a heartbeat naming a later last id, or a
            // transaction beyond the next id, means one was lost on the way. Fetch the gap first
            // (live lines wait meanwhile), so nothing is missed until the next reconnect.
            const heartbeat = line.type === 'HEARTBEAT';
            const lastId = heartbeat ? (line as { lastTransactionID?: string }).lastTransactionID : (line as { id?: string }).id;
            const gap = lastId !== undefined && /^\d+$/.test(lastId) && BigInt(lastId) > this.lastId + (heartbeat ? 0n : 1n);
            if (!heartbeat) held.push(line as unknown as OandaTransactionJson);
            if (replaying) return;
            if (gap) {
              replaying = true;
              this.options.logger.warn(`oanda: transactions after ${this.lastId.toString()} missed on the stream (saw ${lastId}); fetching them`);
              void this.catchUp().then(
                () => {
                  replaying = false;
                  for (const tx of held.splice(0)) this.deliver(tx);
                },
                (error: unknown) => {
                  // Nothing past the gap is delivered: the reconnect replays from the last id delivered.
                  this.options.logger.warn('oanda: fetching missed transactions failed; reconnecting', { error: describeError(error) });
                  controller.abort();
                },
              );
              return;
            }
            for (const tx of held.splice(0)) this.deliver(tx);
          },
        },
        controller.signal,
      );
    } catch (error) {
      this.options.logger.warn('oanda: transaction stream failed', { error: describeError(error) });
    }
    if (this.watchdog !== undefined) clock.clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (!this.running) return;
    this.down(controller.signal.aborted ? 'no heartbeat: stream stalled' : 'stream ended');
    this.scheduleReconnect();
  }

  private armWatchdog(controller: AbortController): void {
    const { clock, heartbeatTimeoutMs } = this.options;
    if (this.watchdog !== undefined) clock.clearTimeout(this.watchdog);
    this.watchdog = clock.setTimeout(() => {
      this.options.logger.warn('oanda: no heartbeat on the transaction stream; reconnecting', { afterMs: heartbeatTimeoutMs });
      controller.abort();
    }, heartbeatTimeoutMs);
  }

  private scheduleReconnect(): void {
    const { initialMs, maxMs } = this.options.reconnect;
    const delay = Math.min(maxMs, initialMs * 2 ** this.attempts);
    this.attempts++;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.running) void this.connectStream();
    }, delay);
  }

  private schedulePoll(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => {
        if (this.running) this.schedulePoll();
      });
    }, this.options.pollIntervalMs);
  }

  private async poll(): Promise<void> {
    const { client, accountId } = this.options;
    try {
      const answer = await client.get<{ changes: { transactions?: OandaTransactionJson[] }; lastTransactionID: string }>(`/v3/accounts/${accountId}/changes?sinceTransactionID=${this.lastId.toString()}`);
      for (const tx of answer.changes.transactions ?? []) this.deliver(tx);
      this.lastMessageAt = this.options.clock.now();
    } catch (error) {
      this.options.logger.warn('oanda: polling for changes failed', { error: describeError(error) });
    }
  }

  private deliver(tx: OandaTransactionJson): void {
    const id = BigInt(tx.id);
    if (id <= this.lastId) return;
    this.lastId = id;
    this.options.onTransaction(tx);
  }

  private down(reason: string): void {
    if (!this.up) return;
    this.up = false;
    this.options.onConnection({ state: 'disconnected', reason, at: this.options.clock.now() });
  }
}
