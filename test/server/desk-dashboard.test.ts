import { Decimal, silentLogger, TradingDesk } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_TOKEN, recordingClient, serve, TOKENS, until } from './server-fixture.js';

async function deskOnMocks() {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
  const equities = new MockBroker({ clock, name: 'equity-broker', initialCash: 100_000 });
  const forex = new MockBroker({ clock, name: 'fx-broker', initialCash: 50_000, assets: [{ symbol: 'EUR_USD', assetClass: 'forex', quantityIncrement: new Decimal(1) }] });
  const desk = new TradingDesk({
    clock,
    logger: silentLogger,
    accounts: [
      { id: 'stocks', adapter: equities, ids: sequentialIds(1_000), scope: { assetClasses: ['equity'] }, config: { sizing: { method: 'fixed_quantity', quantity: 20 }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 } },
      { id: 'fx', adapter: forex, ids: sequentialIds(2_000), scope: { assetClasses: ['forex'] }, config: { sizing: { method: 'fixed_quantity', quantity: 10_000 }, recovery: { reconcileIntervalMs: 0 }, accountRefreshMs: 86_400_000 } },
    ],
  });
  await desk.start();
  for (const [symbol, p] of Object.entries({ AAPL: '191.00', EUR_USD: '1.0850' })) {
    equities.setPrice(symbol, p);
    forex.setPrice(symbol, p);
    desk.updatePrice(symbol, p);
  }
  return { clock, desk };
}

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});

describe('a desk behind the server', () => {
  it('shows every account, the book and each broker’s health; events name their account', async () => {
    const { desk, clock } = await deskOnMocks();
    const server = await serve({ desk, auth: TOKENS, control: true, clock });
    open.push(server);
    const { client, events, snapshots } = recordingClient(server, CONTROL_TOKEN);
    open.push(client);
    client.connect();
    await until(() => snapshots.length === 1);
    expect(snapshots[0]!.accounts.map((a) => [a.id, a.broker, a.health.state])).toEqual([
      ['stocks', 'equity-broker', 'healthy'],
      ['fx', 'fx-broker', 'healthy'],
    ]);
    expect(snapshots[0]!.book).toMatchObject({ positions: 0 });

    await desk.executeSignal({ id: 'd1', symbol: 'AAPL', side: 'buy', strength: 85, time: clock.now(), strategyId: 'desk' });
    await desk.executeSignal({ id: 'd2', symbol: 'EUR_USD', side: 'buy', strength: 85, time: clock.now(), strategyId: 'desk', assetClass: 'forex' });
    await until(() => events.filter((e) => e.event === 'position:opened').length === 2);
    expect(events.filter((e) => e.event === 'position:opened').map((e) => e.account)).toEqual(['stocks', 'fx']);
    const snapshot = await client.snapshot();
    expect(snapshot.book).toMatchObject({ positions: 2 });
    expect(snapshot.accounts.find((a) => a.id === 'fx')!.positions).toMatchObject([{ symbol: 'EUR_USD', side: 'long', state: 'OPEN' }]);
  });

  it('halts one account, or the whole desk; the desk’s state streams as desk:trading_state', async () => {
    const { desk, clock } = await deskOnMocks();
    const server = await serve({ desk, auth: TOKENS, control: true, clock });
    open.push(server);
    const { client, events } = recordingClient(server, CONTROL_TOKEN);
    open.push(client);
    client.connect();
    const one = await client.halt({ account: 'fx', reason: 'fx desk closed' });
    expect(one).toMatchObject({ tradingState: 'ACTIVE', accounts: [{ id: 'stocks', tradingState: 'ACTIVE' }, { id: 'fx', tradingState: 'HALTED' }] });
    expect(desk.engine('fx').halted).toBe('fx desk closed (by alice)');
    const all = await client.halt({ reason: 'desk kill switch' });
    expect(all).toMatchObject({ tradingState: 'HALTED', accounts: [{ tradingState: 'HALTED' }, { tradingState: 'HALTED' }] });
    await until(() => events.some((e) => e.event === 'desk:trading_state'));
    expect(events.find((e) => e.event === 'desk:trading_state')).toMatchObject({ account: 'desk', data: { state: 'HALTED', reason: 'desk kill switch (by alice)' } });
    expect((await client.snapshot()).stateReason).toBe('desk kill switch (by alice)');
    expect((await client.resume()).tradingState).toBe('ACTIVE');
  });
});
