import type { BrokerAdapter, ConnectionChange, OrderUpdate, Unsubscribe } from '../broker/broker-adapter.js';
import type { Clock } from '../core/clock.js';
import { every, type Repeating } from '../core/every.js';

/**
 * Where the broker's news comes in: the adapter's stream of order updates and connection changes,
 * or — for an adapter without a stream — a poll of the working orders on the injected clock. Both
 * end in the same `apply`; a reconnect asks for the truth, since updates may have been missed.
 */
export class BrokerFeed {
  private subscriptions: Unsubscribe[] = [];
  private poll: Repeating | undefined;

  constructor(
    private readonly deps: {
      readonly adapter: BrokerAdapter;
      readonly clock: Clock;
      readonly pollIntervalMs: number;
      readonly apply: (update: OrderUpdate) => void;
      readonly connectionChanged: (change: ConnectionChange) => void;
      /** Brings every working order up to the broker's word (a reconnect, a poll). */
      readonly sync: () => Promise<void>;
    },
  ) {}

  get running(): boolean {
    return this.subscriptions.length > 0;
  }

  /** Idempotent. */
  start(): void {
    if (this.running) return;
    const { adapter, clock } = this.deps;
    this.subscriptions = [
      adapter.onOrderUpdate((update) => this.deps.apply(update)),
      adapter.onConnectionChange((change) => {
        this.deps.connectionChanged(change);
        if (change.state === 'reconnected') void this.deps.sync();
      }),
    ];
    if (!adapter.capabilities.streaming) this.poll = every(clock, this.deps.pollIntervalMs, () => this.deps.sync());
  }

  stop(): void {
    for (const unsubscribe of this.subscriptions) unsubscribe();
    this.subscriptions = [];
    this.poll?.stop();
    this.poll = undefined;
  }
}
