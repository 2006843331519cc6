import type { BrokerAdapter } from '../broker/broker-adapter.js';
import type { AssetInfo } from '../broker/reports.js';
import type { Clock } from '../core/clock.js';
import { isBrokerError } from '../core/errors.js';

/**
 * Asset details from the adapter, cached so the signal path does not wait on the network after
 * the first look-up. Entries expire after `ttlMs` (default one hour): tradability changes rarely.
 * A look-up that fails retryably is tried again (after 250 ms, then 1 s) before it fails.
 */
export class AssetCache {
  private readonly entries = new Map<string, { asset: AssetInfo | undefined; at: number }>();
  private readonly inFlight = new Map<string, Promise<AssetInfo | undefined>>();

  constructor(
    private readonly adapter: BrokerAdapter,
    private readonly clock: Clock,
    private readonly ttlMs = 3_600_000,
    private readonly retryDelaysMs: readonly number[] = [250, 1_000],
  ) {}

  /** The cached entry if fresh (synchronous), else undefined: call {@link load}. */
  peek(symbol: string): { asset: AssetInfo | undefined } | undefined {
    const entry = this.entries.get(symbol);
    return entry && this.clock.now() - entry.at < this.ttlMs ? entry : undefined;
  }

  load(symbol: string): Promise<AssetInfo | undefined> {
    const fresh = this.peek(symbol);
    if (fresh) return Promise.resolve(fresh.asset);
    let pending = this.inFlight.get(symbol);
    if (!pending) {
      // Continuations rather than async frames: a batch on new symbols looks up hundreds at once.
      pending = this.fetch(symbol).then(
        (asset) => {
          this.inFlight.delete(symbol);
          this.entries.set(symbol, { asset, at: this.clock.now() });
          return asset;
        },
        (error: unknown) => {
          this.inFlight.delete(symbol);
          throw error;
        },
      );
      this.inFlight.set(symbol, pending);
    }
    return pending;
  }

  /**
   * A read like any other: a retryable failure (timeout, 5xx, reset) is tried again after
   * `retryDelaysMs` on the injected clock; what still fails is thrown for the caller to refuse on.
   */
  private fetch(symbol: string): Promise<AssetInfo | undefined> {
    let first: Promise<AssetInfo | undefined>;
    try {
      first = this.adapter.getAsset(symbol);
    } catch (error) {
      return this.retry(symbol, error);
    }
    return first.then(undefined, (error: unknown) => this.retry(symbol, error));
  }

  private async retry(symbol: string, error: unknown): Promise<AssetInfo | undefined> {
    for (let attempt = 0; ; attempt++) {
      const delay = this.retryDelaysMs[attempt];
      if (delay === undefined || !isBrokerError(error) || !error.retryable) throw error;
      const waitMs = Math.max(delay, error.retryAfterMs ?? 0);
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, waitMs, { keepAlive: true }));
      try {
        return await this.adapter.getAsset(symbol);
      } catch (next) {
        error = next;
      }
    }
  }

  /**
   * Looks up every symbol not cached yet, together: one round trip for a batch, not one per symbol
   * as each is decided. A lookup that fails is left for {@link load} to try again (and report).
   */
  async loadAll(symbols: Iterable<string>): Promise<void> {
    const missing = new Set<string>();
    for (const symbol of symbols) if (this.peek(symbol) === undefined) missing.add(symbol);
    if (missing.size > 0) await Promise.all([...missing].map((symbol) => this.load(symbol).catch(() => undefined)));
  }

  /** Forgets one symbol (or all), e.g. after a halt or a corporate action. */
  invalidate(symbol?: string): void {
    if (symbol === undefined) this.entries.clear();
    else this.entries.delete(symbol);
  }
}
