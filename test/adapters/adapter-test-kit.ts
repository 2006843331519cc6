import {
  type BrokerAdapter,
  type Clock,
  EventBus,
  ExecutionEngine,
  InMemoryJournal,
  type Journal,
  type Logger,
  ManualClock,
  OrderErrorHandler,
  OrderLifecycleManager,
  sequentialIds,
  silentLogger,
  type TradewireEvents,
} from 'tradewire';
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
export function protectedEngine(adapter: BrokerAdapter, clock: Clock, config: { quantity: number; maxPositionSizePct?: number; journal?: Journal; firstId?: number }): ExecutionEngine {
  return new ExecutionEngine({
    adapter,
    clock,
    ids: sequentialIds(config.firstId),
    ...(config.journal ? { journal: config.journal } : {}),
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

/** Every line the adapter and the core log, kept so a test can prove no secret is in them. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, context?: Record<string, unknown>) => lines.push(`${level} ${message} ${JSON.stringify(context ?? {})}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/**
 * The core's order path on a real adapter, as the adapter scenario tests use it: the lifecycle with
 * the error handler in front (retry backoffs on a manual clock, advanced by `until`), the journal,
 * and the events it emitted. Connects the adapter; `close` stops both and runs `closeServer`.
 */
export async function corePath(adapter: BrokerAdapter, logger: Logger, closeServer: () => Promise<void>) {
  const clock = new ManualClock(Date.UTC(2026, 10, 23, 15, 0));
  const journal = new InMemoryJournal();
  const events = new EventBus<TradewireEvents>();
  const emitted: { name: string; payload: unknown }[] = [];
  const handler = new OrderErrorHandler({ adapter, clock, events, journal, retry: { retries: 3, minDelayMs: 1_000 } });
  const orders = new OrderLifecycleManager({ adapter, clock, ids: sequentialIds(), journal, events, logger, send: handler.send, orderTimeoutMs: null });
  for (const name of ['order:transition', 'order:retry', 'alert', 'broker:connection', 'error', 'order:unknown_update'] as const) events.on(name, (payload: unknown) => emitted.push({ name, payload }));
  await adapter.connect();
  orders.start();
  const close = async (): Promise<void> => {
    orders.stop();
    await adapter.disconnect();
    await closeServer();
  };
  return { clock, journal, events, emitted, handler, orders, until: untilWithClock(clock), close };
}
