import { createOrder, type Order, type RateLimit, RATE_LIMITS, RateLimitedAdapter, sequentialIds, silentLogger, systemClock } from 'tradewire';
import { MockBroker } from 'tradewire/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

beforeEach(() => {
  vi.useFakeTimers({ now: Date.UTC(2024, 2, 5, 15, 0) });
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(limit: RateLimit = RATE_LIMITS.twentyPerSecond) {
  // systemClock() reads Date.now and setTimeout, which vitest's fake timers control.
  const clock = systemClock();
  const broker = new MockBroker({ clock, initialCash: 1e9 });
  broker.setPrice('AAPL', '10');
  const limited = new RateLimitedAdapter(broker, { limit, clock, logger: silentLogger });
  const ids = sequentialIds();
  const order = (): Order => createOrder({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '9' }, { clock, ids });
  return { broker, limited, order };
}

async function runUntil(done: () => boolean, stepMs = 5, maxMs = 120_000): Promise<void> {
  for (let t = 0; t < maxMs && !done(); t += stepMs) await vi.advanceTimersByTimeAsync(stepMs);
}

describe('RateLimitedAdapter', () => {
  it('a burst of 500 orders through a 20/s limiter: all arrive, none refused, never more than 20 in any second', async () => {
    const { broker, limited, order } = setup();
    let settled = 0;
    const errors: unknown[] = [];
    for (let i = 0; i < 500; i++) limited.submitOrder(order()).then(() => settled++, (e: unknown) => errors.push(e));
    await runUntil(() => settled + errors.length === 500);
    expect(errors).toEqual([]);
    expect(settled).toBe(500);
    const times = broker.requests.filter((r) => r.method === 'submitOrder').map((r) => r.at);
    expect(times).toHaveLength(500);
    // Sliding one-second windows: at most 20 requests in each.
    for (let i = 20; i < times.length; i++) expect(times[i]! - times[i - 20]!).toBeGreaterThanOrEqual(1_000);
    // And it took about 26 seconds (53 ms apart), not much longer.
    expect(times.at(-1)! - times[0]!).toBeLessThan(27_000);
  });

  it('a token bucket: Alpaca’s 200/min lets a burst of five orders go at once, and never more than 200 in any minute', async () => {
    const { broker, limited, order } = setup(RATE_LIMITS.alpaca);
    let settled = 0;
    for (let i = 0; i < 5; i++) void limited.submitOrder(order()).then(() => settled++);
    await runUntil(() => settled === 5, 1);
    const burst = broker.requests.filter((r) => r.method === 'submitOrder').map((r) => r.at);
    expect(burst.at(-1)! - burst[0]!).toBeLessThan(10); // not ~300 ms apart
    for (let i = 0; i < 395; i++) void limited.submitOrder(order()).then(() => settled++);
    await runUntil(() => settled === 400, 50, 240_000);
    const times = broker.requests.filter((r) => r.method === 'submitOrder').map((r) => r.at);
    expect(times).toHaveLength(400);
    for (let i = 200; i < times.length; i++) expect(times[i]! - times[i - 200]!).toBeGreaterThanOrEqual(60_000);
  });

  it('bursts after idle periods never exceed 20 in any one-second window', async () => {
    const { broker, limited, order } = setup();
    let settled = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 30; i++) void limited.submitOrder(order()).then(() => settled++);
      await runUntil(() => settled === (round + 1) * 30);
      await vi.advanceTimersByTimeAsync(737); // idle, so a token is stored, then burst again
    }
    const times = broker.requests.filter((r) => r.method === 'submitOrder').map((r) => r.at);
    for (let i = 20; i < times.length; i++) expect(times[i]! - times[i - 20]!).toBeGreaterThanOrEqual(1_000);
  });

  it('cancels and the kill switch go ahead of queued new orders', async () => {
    const { broker, limited, order } = setup();
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) pending.push(limited.submitOrder(order()));
    pending.push(limited.cancelAllOrders());
    await runUntil(() => broker.requests.length === 11);
    await Promise.all(pending);
    const methods = broker.requests.map((r) => r.method);
    // The first submit took the first token; the kill switch takes the next, before the nine queued ones.
    expect(methods.indexOf('cancelAllOrders')).toBe(1);
  });

  it('a 429 slows the limiter and the call succeeds after Retry-After, with exactly one order at the broker', async () => {
    const clock = systemClock();
    const broker = new MockBroker({ clock, initialCash: 1e9 });
    broker.setPrice('AAPL', '10');
    const limited = new RateLimitedAdapter(broker, { limit: RATE_LIMITS.twentyPerSecond, clock, logger: silentLogger, cooldownMs: 5_000 });
    const ids = sequentialIds();
    const order = (): Order => createOrder({ symbol: 'AAPL', side: 'buy', quantity: 1, type: 'limit', limitPrice: '9' }, { clock, ids });
    broker.failNext('submitOrder', { kind: 'rate_limit', retryAfterMs: 1_000 });
    const first = order();
    let report: unknown;
    limited.submitOrder(first).then((r) => (report = r));
    await vi.advanceTimersByTimeAsync(500);
    expect(limited.stats()).toMatchObject({ rateLimited: 1, spacingMs: 106 });
    await runUntil(() => report !== undefined);
    expect(report).toMatchObject({ clientOrderId: first.clientOrderId, status: 'accepted' });
    expect(broker.countByClientOrderId(first.clientOrderId)).toBe(1);
    // Ten more orders during the cool-down arrive at half speed: ≥ 8 gaps of 106 ms (one token may be stored).
    let done = 0;
    for (let i = 0; i < 10; i++) void limited.submitOrder(order()).then(() => done++);
    await runUntil(() => done === 10);
    const times = broker.requests.filter((r) => r.method === 'submitOrder').map((r) => r.at).slice(-10);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(8 * 106);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(limited.stats().spacingMs).toBe(53);
    // Back at full speed: ten more take about 9 × 53 ms.
    let again = 0;
    for (let i = 0; i < 10; i++) void limited.submitOrder(order()).then(() => again++);
    await runUntil(() => again === 10);
    const after = broker.requests.filter((r) => r.method === 'submitOrder').map((r) => r.at).slice(-10);
    expect(after.at(-1)! - after[0]!).toBeLessThan(8 * 106);
  });

  it('passes the error on when the broker keeps refusing', async () => {
    const { broker, limited, order } = setup();
    broker.failNext('submitOrder', { kind: 'rate_limit', retryAfterMs: 10 }, 10);
    let error: unknown;
    limited.submitOrder(order()).catch((e: unknown) => (error = e));
    await runUntil(() => error !== undefined);
    expect(error).toMatchObject({ code: 'rate_limited' });
    expect(limited.stats().rateLimited).toBe(5);
  });

  it('a limit that is not one is refused when it is made, each field named — a zero or NaN window spaced calls by 0 or NaN ms', () => {
    const refused = (limit: unknown, extra: object = {}): string[] => {
      try {
        new RateLimitedAdapter(new MockBroker({ clock: systemClock() }), { limit: limit as RateLimit, logger: silentLogger, ...extra });
      } catch (error) {
        expect(error).toMatchObject({ name: 'ConfigurationError', code: 'invalid_configuration' });
        return (error as { issues: { field: string }[] }).issues.map((i) => i.field);
      }
      return [];
    };
    expect(refused({ requests: 0, perMs: Number.NaN, burst: 0.5, maxConcurrent: 0 })).toEqual(['rateLimit.requests', 'rateLimit.perMs', 'rateLimit.burst', 'rateLimit.maxConcurrent']);
    expect(refused({ requests: '20', perMs: 0 })).toEqual(['rateLimit.requests', 'rateLimit.perMs']);
    expect(refused(RATE_LIMITS.alpaca, { maxRateLimitRetries: -1, cooldownMs: 1.5 })).toEqual(['maxRateLimitRetries', 'cooldownMs']);
    expect(refused(undefined)).toEqual(['rateLimit']);
    expect(refused({ requests: 1, perMs: 1_000, burst: 1, maxConcurrent: 1 }, { maxRateLimitRetries: 0, cooldownMs: 0 })).toEqual([]);
  });

  it('other errors pass straight through, unretried', async () => {
    const { broker, limited, order } = setup();
    let calls = 0;
    const submit = broker.submitOrder.bind(broker);
    broker.submitOrder = (o) => {
      calls++;
      return submit(o);
    };
    broker.failNext('submitOrder', { kind: 'server_error' });
    let error: unknown;
    limited.submitOrder(order()).catch((e: unknown) => (error = e));
    await runUntil(() => error !== undefined);
    expect(error).toMatchObject({ code: 'server_error' });
    expect(calls).toBe(1);
  });
});
