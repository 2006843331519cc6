/**
 * `tradewire/testing/conformance` — the broker-adapter conformance suite, as vitest tests. Every
 * adapter tradewire ships passes it (the mock broker, Alpaca and OANDA against their local fake
 * servers), and so should yours:
 *
 * @example
 * describeBrokerAdapterConformance('my broker', async () => ({
 *   adapter: new MyBrokerAdapter({ baseUrl: fake.url }),
 *   symbol: '005930', quantity: 1, price: '70000',
 *   setPrice: (p) => fake.setPrice('005930', p),
 *   close: () => fake.close(),
 * }), MY_CAPABILITIES);
 *
 * Needs vitest (an optional peer dependency); everything else in `tradewire/testing` does not.
 *
 * @module tradewire/testing/conformance
 */
import {
  type AssetClass,
  type BrokerAdapter,
  type BrokerCapabilities,
  createOrder,
  Decimal,
  EventBus,
  InMemoryJournal,
  OrderErrorHandler,
  OrderLifecycleManager,
  type DecimalInput,
  isBrokerError,
  type Order,
  type OrderEvent,
  type OrderList,
  type OrderRequest,
  type OrderUpdate,
  randomIds,
  silentLogger,
  systemClock,
  type TimeInForce,
  type TradewireEvents,
} from 'tradewire';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONFORMANCE_CASES, type ConformanceCaseId } from './conformance-cases.js';

/** What one conformance case runs against: a connected-to-be adapter and a way to move its market. */
export interface ConformanceHarness {
  readonly adapter: BrokerAdapter;
  /** A symbol the broker trades, priced at `price` when the harness is made. */
  readonly symbol: string;
  readonly assetClass?: AssetClass;
  /** A quantity the broker accepts for `symbol` (1 share, 1 000 units). */
  readonly quantity: DecimalInput;
  readonly price: DecimalInput;
  /** Time in force for resting orders (default `gtc`). */
  readonly restingTimeInForce?: TimeInForce;
  /**
   * Limit prices away from the market for resting orders (default 50 %, 40 % and 60 % of `price`,
   * to two decimals). A broker with daily price limits or a tick grid (the KRX: ±30 %, ticks by
   * price band) names prices it accepts.
   */
  readonly restingPrices?: { readonly low: DecimalInput; readonly lower: DecimalInput; readonly higher: DecimalInput };
  /** Moves the market; resting orders may trigger and fill. */
  setPrice(price: DecimalInput): void | Promise<void>;
  /** Releases servers and sockets. */
  close?(): void | Promise<void>;
}

export interface ConformanceOptions {
  /** Cases to skip by id, with the reason in your own test file. */
  readonly skip?: readonly ConformanceCaseId[];
  /** How long to wait for an update to arrive (default 5 000 ms). */
  readonly waitMs?: number;
}

/**
 * Declares one vitest `describe` block with a test per {@link CONFORMANCE_CASES} entry, each on a
 * fresh harness from `factory`. Cases whose capability the adapter lacks are skipped, visibly.
 */
export function describeBrokerAdapterConformance(
  name: string,
  factory: () => ConformanceHarness | Promise<ConformanceHarness>,
  capabilities: BrokerCapabilities,
  options: ConformanceOptions = {},
): void {
  describe(`broker adapter conformance: ${name}`, () => {
    let h: ConformanceHarness;
    let updates: OrderUpdate[];
    let unsubscribe: () => void;
    const ids = randomIds();
    const clock = systemClock();
    const waitMs = options.waitMs ?? 5_000;

    beforeEach(async () => {
      h = await factory();
      updates = [];
      unsubscribe = h.adapter.onOrderUpdate((u) => updates.push(u));
      await h.adapter.connect();
    });

    afterEach(async () => {
      unsubscribe();
      await h.adapter.disconnect();
      await h.close?.();
    });

    const price = (factor: DecimalInput): Decimal => new Decimal(h.price).times(factor).toDecimalPlaces(2);
    /** Where resting limit orders go: below the market, further below, and a little less far (a replace). */
    const rest = (which: 'low' | 'lower' | 'higher'): Decimal => (h.restingPrices ? new Decimal(h.restingPrices[which]) : price({ low: '0.5', lower: '0.4', higher: '0.6' }[which]));
    const order = (request: Partial<OrderRequest>): Order =>
      createOrder(
        { symbol: h.symbol, side: 'buy', quantity: h.quantity, assetClass: h.assetClass ?? 'equity', clientOrderId: ids.next('cf'), ...request },
        { clock, ids },
      );
    const resting = (request: Partial<OrderRequest>): Order => order({ timeInForce: h.restingTimeInForce ?? 'gtc', ...request });
    /** Waits until the stream brought an event of `type` for `clientOrderId` (or its broker id). */
    const streamed = (o: Order, type: OrderEvent['type'], brokerOrderId?: string): Promise<OrderUpdate> =>
      vi.waitFor(
        () => {
          const found = updates.find((u) => isUpdateOf(u, type) && (u.clientOrderId === o.clientOrderId || (brokerOrderId !== undefined && u.brokerOrderId === brokerOrderId)));
          if (!found) throw new Error(`no ${type} update for ${o.clientOrderId} yet`);
          return found;
        },
        { timeout: waitMs, interval: 5 },
      );
    const eventually = (check: () => Promise<void> | void): Promise<void> => vi.waitFor(check, { timeout: waitMs, interval: 10 });
    const buyPosition = async (): Promise<void> => {
      const entry = order({ type: 'market' });
      await h.adapter.submitOrder(entry);
      await streamed(entry, 'filled');
    };

    const bodies: Record<ConformanceCaseId, () => Promise<void>> = {
      'account.snapshot': async () => {
        const account = await h.adapter.getAccount();
        expect(account.equity).toBeInstanceOf(Decimal);
        expect(account.equity.greaterThan(0)).toBe(true);
        expect(account.cash).toBeInstanceOf(Decimal);
        expect(account.buyingPower.greaterThan(0)).toBe(true);
        expect(account.currency).toMatch(/^[A-Z]{3}$/);
      },
      'asset.lookup': async () => {
        const asset = await h.adapter.getAsset(h.symbol);
        expect(asset?.symbol).toBe(h.symbol);
        expect(asset?.tradable).toBe(true);
        expect(asset?.quantityIncrement.greaterThan(0)).toBe(true);
        expect(await h.adapter.getAsset('NO_SUCH_SYMBOL_XYZ')).toBeUndefined();
      },
      'order.market.fill': async () => {
        const sent = order({ type: 'market' });
        const ack = await h.adapter.submitOrder(sent);
        expect(ack.clientOrderId).toBe(sent.clientOrderId);
        expect(ack.brokerOrderId).toBeTruthy();
        const fill = await streamed(sent, 'filled');
        if (fill.event?.type === 'filled') {
          expect(fill.event.fill.executionId).toBeTruthy();
          expect(fill.event.fill.quantity.equals(new Decimal(h.quantity))).toBe(true);
          expect(fill.event.fill.price.greaterThan(0)).toBe(true);
        } else {
          // A fill streamed as the order's new totals (the core derives the execution from them).
          expect(fill.report?.executionId).toBeTruthy();
          expect(fill.report?.filledQuantity.equals(new Decimal(h.quantity))).toBe(true);
          expect(fill.report?.averageFillPrice?.greaterThan(0)).toBe(true);
        }
        await eventually(async () => {
          const report = await h.adapter.getOrder({ clientOrderId: sent.clientOrderId });
          expect(report?.status).toBe('filled');
          expect(report?.filledQuantity.equals(new Decimal(h.quantity))).toBe(true);
        });
        const position = (await h.adapter.getPositions()).find((p) => p.symbol === h.symbol);
        expect(position?.quantity.equals(new Decimal(h.quantity))).toBe(true);
      },
      'order.limit.rest-cancel': async () => {
        const sent = resting({ type: 'limit', limitPrice: rest('low') });
        const ack = await h.adapter.submitOrder(sent);
        expect(['accepted', 'submitted']).toContain(ack.status);
        expect(ack.limitPrice?.equals(rest('low'))).toBe(true);
        expect((await h.adapter.getOpenOrders()).map((o) => o.clientOrderId)).toContain(sent.clientOrderId);
        await h.adapter.cancelOrder({ clientOrderId: sent.clientOrderId, brokerOrderId: ack.brokerOrderId });
        await streamed(sent, 'cancelled');
        expect((await h.adapter.getOrder({ clientOrderId: sent.clientOrderId }))?.status).toBe('cancelled');
      },
      'order.get.by-client-id': async () => {
        const sent = resting({ type: 'limit', limitPrice: rest('low') });
        const ack = await h.adapter.submitOrder(sent);
        const found = await h.adapter.getOrder({ clientOrderId: sent.clientOrderId });
        expect(found?.brokerOrderId).toBe(ack.brokerOrderId);
        expect(found?.side).toBe('buy');
        expect(found?.quantity.equals(new Decimal(h.quantity))).toBe(true);
      },
      'order.get.unknown': async () => {
        expect(await h.adapter.getOrder({ clientOrderId: 'never-sent-order' })).toBeUndefined();
      },
      'order.duplicate-client-id': async () => {
        const sent = resting({ type: 'limit', limitPrice: rest('low') });
        await h.adapter.submitOrder(sent);
        const error = await h.adapter.submitOrder(sent).catch((e: unknown) => e);
        expect(isBrokerError(error) && error.code).toBe('broker_duplicate_client_order_id');
      },
      'order.duplicate-client-id.adopted': async () => {
        // The first send landed while nobody listened for its answer (a timeout); the engine resends.
        const sent = resting({ type: 'limit', limitPrice: rest('low') });
        const ack = await h.adapter.submitOrder(sent);
        const events = new EventBus<TradewireEvents>();
        const journal = new InMemoryJournal();
        const handler = new OrderErrorHandler({ adapter: h.adapter, clock, events, journal, retry: { retries: 0 } });
        const lifecycle = new OrderLifecycleManager({ adapter: h.adapter, clock, ids, events, journal, logger: silentLogger, orderTimeoutMs: null, send: handler.send });
        const { clientOrderId, symbol, side, quantity, assetClass, type, limitPrice, timeInForce } = sent;
        const adopted = await lifecycle.submit({ clientOrderId, symbol, side, quantity, assetClass, type, ...(limitPrice ? { limitPrice } : {}), timeInForce });
        expect(adopted.status).toBe('accepted');
        expect(adopted.brokerOrderId).toBe(ack.brokerOrderId);
        expect(journal.query({ topic: 'order.found_after_duplicate' })).toHaveLength(1);
        // The refused resend is not news about the live order: cancel it, and by the time the stream
        // says so, nothing may have reported it rejected.
        await h.adapter.cancelOrder({ clientOrderId, brokerOrderId: ack.brokerOrderId });
        await streamed(sent, 'cancelled', ack.brokerOrderId);
        expect(updates.filter((u) => u.clientOrderId === clientOrderId && u.event?.type === 'rejected')).toEqual([]);
      },
      'order.reject.unknown-symbol': async () => {
        const error = await h.adapter.submitOrder(order({ symbol: 'NO_SUCH_SYMBOL_XYZ', type: 'market' })).catch((e: unknown) => e);
        expect(isBrokerError(error)).toBe(true);
        if (!isBrokerError(error)) return;
        expect(error.retryable).toBe(false);
        expect(['invalid_symbol', 'invalid_order', 'not_tradable']).toContain(error.code);
      },
      'order.cancel.unknown': async () => {
        const error = await h.adapter.cancelOrder({ clientOrderId: 'never-sent-order', brokerOrderId: '00000000-0000-0000-0000-000000000000' }).catch((e: unknown) => e);
        expect(isBrokerError(error) && error.code).toBe('broker_not_found');
      },
      'order.replace': async () => {
        const sent = resting({ type: 'limit', limitPrice: rest('low') });
        const ack = await h.adapter.submitOrder(sent);
        const current: Order = { ...sent, brokerOrderId: ack.brokerOrderId, brokerOrderIds: [ack.brokerOrderId], status: 'accepted' };
        const replaced = await h.adapter.replaceOrder(current, { limitPrice: rest('higher') });
        expect(replaced.limitPrice?.equals(rest('higher'))).toBe(true);
        const now = await h.adapter.getOrder({ clientOrderId: sent.clientOrderId, brokerOrderId: replaced.brokerOrderId });
        expect(now?.limitPrice?.equals(rest('higher'))).toBe(true);
        expect(['accepted', 'submitted']).toContain(now?.status);
      },
      'order.replace.chain': async () => {
        const sent = resting({ type: 'limit', limitPrice: rest('low') });
        const ack = await h.adapter.submitOrder(sent);
        const current: Order = { ...sent, brokerOrderId: ack.brokerOrderId, brokerOrderIds: [ack.brokerOrderId], status: 'accepted' };
        const replaced = await h.adapter.replaceOrder(current, { limitPrice: rest('higher') });
        const found = await h.adapter.getOrder({ clientOrderId: sent.clientOrderId, brokerOrderId: ack.brokerOrderId });
        expect(found?.brokerOrderId).toBe(replaced.brokerOrderId);
        expect(found?.limitPrice?.equals(rest('higher'))).toBe(true);
        expect(['accepted', 'submitted']).toContain(found?.status);
      },
      'order.cancel-all': async () => {
        const a = resting({ type: 'limit', limitPrice: rest('low') });
        const b = resting({ type: 'limit', limitPrice: rest('lower') });
        await h.adapter.submitOrder(a);
        await h.adapter.submitOrder(b);
        await h.adapter.cancelAllOrders();
        await Promise.all([streamed(a, 'cancelled'), streamed(b, 'cancelled')]);
        await eventually(async () => expect((await h.adapter.getOpenOrders()).filter((o) => o.symbol === h.symbol)).toEqual([]));
      },
      'order.trailing-stop': async () => {
        await buyPosition();
        const trail = resting({ side: 'sell', type: 'trailing_stop', trailPercent: 5 });
        await h.adapter.submitOrder(trail);
        await h.setPrice(price('1.2')); // the stop follows to 1.14 × price
        await h.setPrice(price('1.16')); // above the stop: still resting
        expect(updates.some((u) => u.clientOrderId === trail.clientOrderId && isUpdateOf(u, 'filled'))).toBe(false);
        await h.setPrice(price('1.13'));
        const fill = await streamed(trail, 'filled');
        const filledAt = fill.event?.type === 'filled' ? fill.event.fill.price : fill.report?.averageFillPrice;
        expect(filledAt?.lessThanOrEqualTo(price('1.14'))).toBe(true);
      },
      'list.oco': async () => {
        await buyPosition();
        const takeProfit = resting({ side: 'sell', type: 'limit', limitPrice: price('1.1') });
        const stopLoss = resting({ side: 'sell', type: 'stop', stopPrice: price('0.9') });
        const list: OrderList = { kind: 'oco', orders: [takeProfit, stopLoss] };
        const report = await h.adapter.submitOrderList!(list);
        expect(report.clientOrderId).toBe(takeProfit.clientOrderId);
        const stopLeg = report.legs?.find((l) => l.type === 'stop');
        expect(stopLeg?.brokerOrderId).toBeTruthy();
        await h.setPrice(price('1.11'));
        await streamed(takeProfit, 'filled');
        await streamed(stopLoss, 'cancelled', stopLeg!.brokerOrderId);
        await eventually(async () => expect((await h.adapter.getPositions()).filter((p) => p.symbol === h.symbol && !p.quantity.isZero())).toEqual([]));
      },
      'list.bracket': async () => {
        const entry = resting({ type: 'limit', limitPrice: price('0.95') });
        const takeProfit = resting({ side: 'sell', type: 'limit', limitPrice: price('1.1') });
        const stopLoss = resting({ side: 'sell', type: 'stop', stopPrice: price('0.9') });
        const report = await h.adapter.submitOrderList!({ kind: 'bracket', orders: [entry, takeProfit, stopLoss] });
        expect(report.clientOrderId).toBe(entry.clientOrderId);
        expect(report.legs?.length).toBe(2);
        const tpLeg = report.legs!.find((l) => l.type === 'limit')!;
        const slLeg = report.legs!.find((l) => l.type !== 'limit')!;
        await h.setPrice(price('1.12')); // the target's price, but the entry has not filled: nothing happens
        expect(updates.some((u) => u.brokerOrderId === tpLeg.brokerOrderId && u.event?.type === 'filled')).toBe(false);
        await h.setPrice(price('0.94'));
        await streamed(entry, 'filled');
        await h.setPrice(price('1.11'));
        await streamed(takeProfit, 'filled', tpLeg.brokerOrderId);
        await streamed(stopLoss, 'cancelled', slLeg.brokerOrderId);
      },
    };

    for (const c of CONFORMANCE_CASES) {
      const needs = 'requires' in c ? c.requires : undefined;
      const skipped = options.skip?.includes(c.id) || (needs !== undefined && !needs(capabilities));
      (skipped ? it.skip : it)(`${c.id}: ${c.title}`, () => bodies[c.id]());
    }
  });
}

export { CONFORMANCE_CASES, type ConformanceCase, type ConformanceCaseId } from './conformance-cases.js';

/**
 * True when a streamed update says `type` happened: an event of that type, or a report of the
 * order's new state — fills (brokers whose fill events carry the order's totals, not the
 * execution's: the core derives the execution) and ends (applied with what filled before them).
 */
function isUpdateOf(update: OrderUpdate, type: OrderEvent['type']): boolean {
  if (update.event) return update.event.type === type;
  const report = update.report;
  if (!report) return false;
  if (type === 'filled') return report.filledQuantity.greaterThan(0);
  return (type === 'cancelled' || type === 'expired' || type === 'rejected') && report.status === type;
}
