import { alwaysOpenMarket, BrokerError, ExecutionEngine, settle, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';
import { AssetCache } from '../../src/execution/asset-cache.js';

const HOUR = 3_600_000;

/** Counts every look-up sent, failed ones included (the mock's request log holds the ones it processed). */
class CountingBroker extends MockBroker {
  sent = 0;
  override getAsset(symbol: string) {
    this.sent++;
    return super.getAsset(symbol);
  }
}

function setup(latencyMs = 0) {
  const clock = new ManualClock();
  const broker = new CountingBroker({ clock, latencyMs });
  for (const symbol of ['AAPL', 'MSFT', 'NVDA']) broker.addAsset({ symbol });
  return { clock, broker, cache: new AssetCache(broker, clock), lookups: () => broker.sent };
}

describe('AssetCache', () => {
  it('asks the broker once per symbol: later loads, concurrent loads and peek answer from the cache', async () => {
    const { cache, lookups } = setup();
    expect(cache.peek('AAPL')).toBeUndefined();
    const [a, b] = await Promise.all([cache.load('AAPL'), cache.load('AAPL')]);
    expect(a?.symbol).toBe('AAPL');
    expect(b).toBe(a);
    expect(await cache.load('AAPL')).toBe(a);
    expect(cache.peek('AAPL')?.asset).toBe(a);
    expect(lookups()).toBe(1);
    // An unknown symbol is an answer too: cached, not asked again on every signal.
    expect(await cache.load('ZZZZ')).toBeUndefined();
    expect(cache.peek('ZZZZ')).toMatchObject({ asset: undefined });
    await cache.load('ZZZZ');
    expect(lookups()).toBe(2);
  });

  it('an entry expires after ttlMs on the injected clock; invalidate forgets one symbol or all', async () => {
    const { clock, cache, lookups } = setup();
    await cache.load('AAPL');
    await cache.load('MSFT');
    clock.advance(HOUR - 1);
    expect(cache.peek('AAPL')).toBeDefined();
    clock.advance(1);
    expect(cache.peek('AAPL')).toBeUndefined();
    await cache.load('AAPL');
    expect(lookups()).toBe(3);

    cache.invalidate('AAPL');
    expect(cache.peek('AAPL')).toBeUndefined();
    expect(cache.peek('MSFT')).toBeUndefined(); // expired above
    await cache.load('MSFT');
    cache.invalidate();
    expect(cache.peek('MSFT')).toBeUndefined();
  });

  it('a retryable failure is tried again after 250 ms, then 1 s (longer when the broker asks); what still fails is thrown', async () => {
    const { clock, broker, cache, lookups } = setup();
    broker.failNext('getAsset', { kind: 'server_error' });
    broker.failNext('getAsset', { kind: 'rate_limit', retryAfterMs: 3_000 });
    let asset: unknown;
    void cache.load('AAPL').then((a) => (asset = a));
    await settle();
    expect(lookups()).toBe(1);
    await clock.advanceAsync(249);
    expect(lookups()).toBe(1);
    await clock.advanceAsync(1);
    expect(lookups()).toBe(2);
    // The second delay is 1 s, but the broker's Retry-After of 3 s wins.
    await clock.advanceAsync(2_999);
    expect(lookups()).toBe(2);
    await clock.advanceAsync(1);
    expect(asset).toMatchObject({ symbol: 'AAPL' });
    expect(lookups()).toBe(3);

    // Three retryable failures in a row: the third is thrown, and nothing is cached.
    broker.failNext('getAsset', { kind: 'network' }, 3);
    const failed = cache.load('MSFT').catch((error: unknown) => error);
    await clock.advanceAsync(1_250);
    expect(await failed).toMatchObject({ code: 'network_error' });
    expect(cache.peek('MSFT')).toBeUndefined();
  });

  it('a refusal that retrying cannot cure is thrown at once', async () => {
    const { broker, cache, lookups } = setup();
    broker.failNext('getAsset', { kind: 'error', error: new BrokerError('account_restricted', 'blocked', { status: 403 }) });
    await expect(cache.load('AAPL')).rejects.toMatchObject({ code: 'account_restricted' });
    expect(lookups()).toBe(1);
    expect(await cache.load('AAPL')).toMatchObject({ symbol: 'AAPL' }); // not cached: asked again
  });

  it('loadAll looks up only the symbols not cached, all at once, and leaves a failed one for load to report', async () => {
    const { clock, broker, cache, lookups } = setup(100);
    const warm = cache.load('AAPL');
    await clock.advanceAsync(100);
    await warm;
    broker.failNext('getAsset', { kind: 'error', error: new BrokerError('invalid_symbol', 'no such asset', { status: 404 }) });
    let done = false;
    const all = cache.loadAll(['AAPL', 'MSFT', 'NVDA', 'MSFT']).then(() => (done = true));
    await settle();
    // Both missing symbols are at the broker before either answers: one round trip, not two.
    expect(lookups()).toBe(3);
    expect(done).toBe(false);
    await clock.advanceAsync(100);
    await all;
    // The scripted refusal met the first missing symbol (MSFT): the batch went on without it.
    expect(cache.peek('NVDA')?.asset).toMatchObject({ symbol: 'NVDA' });
    expect(cache.peek('MSFT')).toBeUndefined();
    // Nothing missing: no request at all.
    await cache.loadAll(['AAPL', 'NVDA']);
    expect(lookups()).toBe(3);
    // load() asks again for the one that failed.
    const retried = cache.load('MSFT');
    await clock.advanceAsync(100);
    expect(await retried).toMatchObject({ symbol: 'MSFT' });
  });
});

describe('ExecutionEngine.preloadAssets', () => {
  it('looks a universe up in one round trip ahead of its signals: they wait on no look-up, and nothing is asked twice', async () => {
    const clock = new ManualClock(Date.UTC(2024, 5, 3, 14, 0));
    const broker = new MockBroker({ clock });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, market: alwaysOpenMarket, config: { sizing: { method: 'fixed_quantity', quantity: 1 } } });
    await engine.start();
    for (const symbol of ['AAPL', 'MSFT']) {
      broker.setPrice(symbol, '100');
      engine.updatePrice(symbol, '100');
    }
    broker.setLatency(250);
    const lookups = (): number => broker.requests.filter((r) => r.method === 'getAsset').length;
    const preloading = engine.preloadAssets(['AAPL', 'MSFT', 'AAPL']);
    await settle();
    expect(lookups()).toBe(2); // together, once each
    await clock.advanceAsync(250);
    await preloading;
    await engine.preloadAssets(['MSFT']);
    expect(lookups()).toBe(2);
    const deciding = engine.executeSignal({ id: 'p1', symbol: 'MSFT', side: 'buy', strength: 90, time: clock.now(), strategyId: 'p' });
    await settle();
    expect(broker.requests.filter((r) => r.method === 'submitOrder')).toHaveLength(1); // decided at once: no look-up first
    await clock.advanceAsync(250);
    expect((await deciding).kind).toBe('executed');
    expect(lookups()).toBe(2);
  });
});
