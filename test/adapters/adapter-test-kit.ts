import { type BrokerAdapter, type Clock, ExecutionEngine, type ManualClock, sequentialIds, silentLogger } from 'tradewire';
import { vi } from 'vitest';

/**
 * Waits for socket I/O until `check` passes, moving a manual clock forward on every poll so that
 * retry backoffs scheduled on it elapse: the adapter talks to a local server in real time, the core
 * runs on the manual clock.
 */
export function untilWithClock(clock: ManualClock): (check: () => void | Promise<void>, timeout?: number) => Promise<void> {
  return (check, timeout = 5_000) =>
    vi.waitFor(
      async () => {
        clock.advance(500);
        await check();
      },
      { timeout, interval: 5 },
    );
}

/** An engine with protection on a real adapter, as the full-flow tests use it (no limiter: its spacing is real time). */
export function protectedEngine(adapter: BrokerAdapter, clock: Clock, config: { quantity: number; maxPositionSizePct?: number }): ExecutionEngine {
  return new ExecutionEngine({
    adapter,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    protection: true,
    // The broker's published limiter spaces calls in real time; its behaviour has its own tests.
    rateLimit: false,
    config: {
      ...(config.maxPositionSizePct === undefined ? {} : { maxPositionSizePct: config.maxPositionSizePct }),
      sizing: { method: 'fixed_quantity', quantity: config.quantity },
      recovery: { reconcileIntervalMs: 0 },
      orderManagement: { orderTimeoutMs: null },
      accountRefreshMs: 86_400_000,
    },
  });
}
