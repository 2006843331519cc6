import type { Signal } from '../signals/signal.js';

/** Why a signal waits. */
export type QueueReason = 'market_closed' | 'trading_halted';

/** A signal waiting for the market (or an operator). */
export interface QueuedSignal {
  readonly signal: Signal;
  readonly symbol: string;
  readonly reason: QueueReason;
  /** The broker's or the check's words. */
  readonly detail: string;
  readonly queuedAt: number;
  /** The order the broker refused, when the signal was queued after a refusal. */
  readonly refusedOrderId?: string;
}

/**
 * Signals held until the market can execute them. Kept by signal id, in arrival order; the engine
 * releases them at the open (re-running every pre-trade check against fresh prices) or when an
 * operator approves them.
 */
export class SignalQueue {
  private readonly entries = new Map<string, QueuedSignal>();

  add(entry: QueuedSignal): void {
    this.entries.set(entry.signal.id, entry);
  }

  take(signalId: string): QueuedSignal | undefined {
    const entry = this.entries.get(signalId);
    this.entries.delete(signalId);
    return entry;
  }

  has(signalId: string): boolean {
    return this.entries.has(signalId);
  }

  list(): QueuedSignal[] {
    return [...this.entries.values()];
  }

  get size(): number {
    return this.entries.size;
  }
}
