import type { AccountEvent, ConnectionChange, OrderUpdate, Unsubscribe } from './broker-adapter.js';

/**
 * The listener sets every adapter keeps — order updates, connection changes, account events — with
 * the subscribe methods `BrokerAdapter` asks for. An adapter delegates to one of these and calls
 * `emitUpdate` / `announce` / `emitAccountEvent` as its broker reports.
 */
export class AdapterListeners {
  private readonly updates = new Set<(update: OrderUpdate) => void>();
  private readonly connections = new Set<(change: ConnectionChange) => void>();
  private readonly accounts = new Set<(event: AccountEvent) => void>();

  onOrderUpdate(listener: (update: OrderUpdate) => void): Unsubscribe {
    return subscribe(this.updates, listener);
  }

  onConnectionChange(listener: (change: ConnectionChange) => void): Unsubscribe {
    return subscribe(this.connections, listener);
  }

  onAccountEvent(listener: (event: AccountEvent) => void): Unsubscribe {
    return subscribe(this.accounts, listener);
  }

  emitUpdate(update: OrderUpdate): void {
    for (const listener of this.updates) listener(update);
  }

  announce(change: ConnectionChange): void {
    for (const listener of this.connections) listener(change);
  }

  emitAccountEvent(event: AccountEvent): void {
    for (const listener of this.accounts) listener(event);
  }
}

function subscribe<T>(set: Set<T>, listener: T): Unsubscribe {
  set.add(listener);
  return () => set.delete(listener);
}
