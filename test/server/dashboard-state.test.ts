import type { Snapshot } from 'tradewire/client';
import { afterEach, describe, expect, it } from 'vitest';
import { DashboardState } from '../../src/dashboard/dashboard-state.js';
import { CONTROL_TOKEN, engineOnMock, recordingClient, serve, TOKENS, until } from './server-fixture.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

/** What the page shows, reduced to what must agree with the server. */
function shown(state: DashboardState) {
  const a = [...state.accounts.values()][0]!;
  return {
    tradingState: state.tradingState,
    stateReason: state.stateReason,
    positions: [...a.positions.values()].map((p) => [p.symbol, p.side, p.quantity, p.unrealizedPnl]).sort(),
    orders: [...a.orders.values()].map((o) => [o.clientOrderId, o.status, o.filledQuantity]).sort(),
    pnl: [a.pnl.daily, a.pnl.realizedToday, a.pnl.unrealized],
    exposure: a.exposure,
    fills: a.fills.map((f) => [f.clientOrderId, f.quantity, f.price, f.slippageBps]),
  };
}

describe('the page’s state', () => {
  it('kept from a snapshot and the events after it, agrees with a fresh snapshot', async () => {
    const { engine, signal, broker, clock } = await engineOnMock();
    const server = await serve({ engine, auth: TOKENS, control: true, clock });
    open.push(server);
    const { client, snapshots } = recordingClient(server, CONTROL_TOKEN);
    open.push(client);
    const state = new DashboardState();
    client.on('snapshot', (s) => state.applySnapshot(s));
    client.on('event', (m) => state.apply(m));
    client.connect();
    await until(() => snapshots.length === 1);

    await engine.executeSignal(signal({ symbol: 'AAPL' }));
    await engine.executeSignal(signal({ symbol: 'MSFT' }));
    for (const [s, p] of [['AAPL', '101.50'], ['MSFT', '98.25']] as const) {
      broker.setPrice(s, p);
      engine.updatePrice(s, p);
    }
    const resting = await engine.orders.submit({ symbol: 'NVDA', side: 'buy', quantity: 5, type: 'limit', limitPrice: '90', timeInForce: 'gtc' });
    await engine.executeSignal(signal({ symbol: 'MSFT', side: 'sell' }));
    await client.reduceOnly({ reason: 'review' });
    const another = await engine.orders.submit({ symbol: 'NVDA', side: 'buy', quantity: 3, type: 'limit', limitPrice: '80', timeInForce: 'gtc' });
    await engine.orders.cancel(another.clientOrderId);
    clock.advance(1_000); // the account summary (exposure) goes out after its period
    await until(() => client.lastSeq === server.stats().seq);

    const fresh = new DashboardState();
    fresh.applySnapshot((await client.snapshot()) as Snapshot);
    expect(shown(state)).toEqual(shown(fresh));
    expect(shown(state).orders).toEqual([[resting.clientOrderId, 'accepted', '0']]);
    expect(shown(state).positions).toEqual([['AAPL', 'long', '10', '15']]);
    expect(state.tradingState).toBe('REDUCING');
    expect(state.changes.map((c) => `${c.symbol} ${c.from ?? '-'}→${c.to}`)).toEqual(expect.arrayContaining(['NVDA -→created', 'NVDA accepted→pending_cancel', 'NVDA pending_cancel→cancelled']));
  });
});
