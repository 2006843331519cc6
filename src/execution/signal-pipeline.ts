import type { BrokerCapabilities } from '../broker/broker-adapter.js';
import type { AssetInfo } from '../broker/reports.js';
import type { ResolvedEngineConfig } from '../config/engine-config.js';
import type { Clock } from '../core/clock.js';
import { addDecimals, compareDecimal, Decimal, multiplyDecimals, roundToStep, ZERO } from '../core/decimal.js';
import { entryExposure, type ExposureIndex, type ExposureKey } from './exposure-index.js';
import { describeError, isBrokerError, ValidationError } from '../core/errors.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Mutable } from '../core/mutable.js';
import type { EventSink } from '../events/event-bus.js';
import type { Journal, JournalEntry, JournalRecord } from '../journal/journal.js';
import type { MarketState } from '../market/market-state.js';
import type { Order } from '../model/order.js';
import type { OrderRequest } from '../model/order-request.js';
import { marketableLimit } from '../model/prices.js';
import { type Position, positionValue } from '../positions/position.js';
import type { PositionManager } from '../positions/position-manager.js';
import { exitQuantity, quantityStep, sizePosition, type SizingResult } from '../risk/position-sizing.js';
import { PRE_TRADE_RULES, type PreTradeContext, type PreTradeRule, runPreTradeChecks } from '../risk/pre-trade-checks.js';
import { stopPrice, targetLegs } from '../risk/protection-levels.js';
import { RiskOrderManager } from '../risk/risk-order-manager.js';
import type { OrderErrorHandler } from '../resilience/order-error-handler.js';
import { type ParsedSignal, parseSignal, type Signal } from '../signals/signal.js';
import type { DecisionReason, SignalPolicy, TradeIntent } from '../signals/signal-policy.js';
import type { AssetCache } from './asset-cache.js';
import { DecisionLog, type RecordedDecision, type RestoredDecisions } from './decision-log.js';
import type { BreakerGuard } from './breaker-guard.js';
import type { BuyingPower } from './buying-power.js';
import { decideInTurn } from './decide-in-turn.js';
import type { OrderLifecycleManager } from './order-lifecycle-manager.js';
import type { SignalDecision } from './signal-decision.js';
import type { SignalEvents } from './signal-events.js';
import { type QueueReason, type QueuedSignal, SignalQueue } from './signal-queue.js';
import type { TradingGate } from './trading-gate.js';


export interface SignalPipelineDeps {
  readonly config: ResolvedEngineConfig;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly journal: Journal;
  readonly events: EventSink<SignalEvents>;
  readonly policy: SignalPolicy;
  readonly rules?: readonly PreTradeRule[];
  readonly capabilities: BrokerCapabilities;
  readonly assets: AssetCache;
  readonly prices: ReadonlyMap<string, Decimal>;
  readonly market: MarketState;
  readonly orders: OrderLifecycleManager;
  readonly positions: PositionManager;
  readonly gate: TradingGate;
  readonly buyingPower: BuyingPower;
  readonly breakers: BreakerGuard;
  readonly errorHandler: OrderErrorHandler;
  readonly protection: RiskOrderManager | undefined;
  /** Exposure totals by group and strategy, kept as the book changes (the limits' `exposureOf`). */
  readonly exposures?: ExposureIndex;
  /** True while the engine's recovery has not completed: queued signals stay queued. */
  readonly recovering?: () => boolean;
}

/**
 * The signal path, one way: parse → gate → decide (policy) → size → check → journal → send. Each
 * stage hands the next a value and returns; nothing here keeps order or position state (the
 * lifecycle and position manager do). It also holds the signals waiting for the market and the ids
 * of signals that already traded, so one signal id trades once — also when it arrives twice at the
 * same moment.
 */
export class SignalPipeline {
  private readonly rules: readonly PreTradeRule[];
  /** Every decision by signal id (journaled; restored after a restart). */
  private readonly decisions: DecisionLog;
  /** Signals being decided right now: a second call with the same id is refused, not run twice. */
  private readonly inFlight = new Set<string>();
  /** How many runs have not settled, and who waits for none (`idle()`, the engine's `drain`). */
  private running = 0;
  private readonly idleWaiters: (() => void)[] = [];
  readonly queue = new SignalQueue();

  constructor(private readonly deps: SignalPipelineDeps) {
    this.rules = deps.rules ?? PRE_TRADE_RULES;
    this.decisions = new DecisionLog(deps.journal);
  }

  /** What was decided for a signal id (also before a restart), or undefined when it never came. */
  decisionFor(signalId: string): RecordedDecision | undefined {
    return this.decisions.get(signalId);
  }

  /** The decisions (and queued signals) as journal notes, for a checkpoint. */
  checkpointNotes(at: number): JournalEntry[] {
    return this.decisions.checkpointNotes(at, new Map(this.queue.list().map((q) => [q.signal.id, q])));
  }

  /**
   * After a restart: takes back every journaled decision and the signals still queued, and counts a
   * signal whose order was journaled as executed (a crash may have cut off its decision record).
   */
  restore(orders: readonly Order[], records: readonly JournalRecord[] = this.deps.journal.query({ kinds: ['note'] })): RestoredDecisions {
    const restored = this.decisions.restore(records);
    for (const order of orders) if (order.signalId) this.decisions.rememberExecuted(order.signalId, order.symbol, order.clientOrderId, order.createdAt);
    for (const entry of restored.queued) if (this.decisions.get(entry.signal.id)?.kind === 'queued') this.queue.add(entry);
    return restored;
  }

  /**
   * Runs one signal through every stage; `approved` (an operator's go-ahead) ignores only
   * `market_open`. Every path in — one signal, a batch, a rebalance, a release from the queue —
   * comes through here, so this is where the work in flight is counted (see {@link idle}).
   * `onSubmitted` is called the moment the order is handed to the lifecycle — decided, journaled and
   * its buying power reserved, before the broker's answer — so a batch can decide its next signal
   * while this one's order is on the wire.
   */
  async run(signal: Signal, approved: boolean, onSubmitted?: () => void): Promise<SignalDecision> {
    // A count, not a set of promises: nothing allocated per signal for a drain nobody may ask for.
    this.running++;
    let deciding: string | undefined;
    try {
      const admitted = this.admit(signal);
      if (!isParsed(admitted)) return admitted;
      deciding = admitted.id;
      this.inFlight.add(deciding);
      // One async frame for the whole path (decide and its stages return a promise only where they
      // wait): each async layer returning a promise costs two more promises and ticks per signal.
      return await this.decide(signal, admitted, approved, onSubmitted);
    } finally {
      if (deciding !== undefined) this.inFlight.delete(deciding);
      if (--this.running === 0 && this.idleWaiters.length > 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves once no signal is being decided or sent (those arriving meanwhile included). */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The signal parsed, or its refusal before anything is decided: invalid (throws, after journaling
   * the refusal), decided before or being decided now, untimely, or the engine halted.
   */
  private admit(signal: Signal): ParsedSignal | SignalDecision {
    const { events, gate } = this.deps;
    events.emit('signal:received', { signal });
    let parsed: ParsedSignal;
    try {
      parsed = parseSignal(signal);
    } catch (error) {
      if (error instanceof ValidationError) {
        this.reject(signal, error.issues.map((i) => ({ code: 'invalid_signal', message: `${i.field} ${i.message}` })));
      }
      throw error;
    }
    const id = parsed.id;
    // A signal is decided once, also across a restart; a queued one is decided again when released.
    const prior = this.decisions.get(id);
    if (prior && prior.kind !== 'queued' && !isTransientRefusal(prior)) return this.refuseRepeat(signal, prior);
    if (this.inFlight.has(id)) return this.refuseRepeat(signal, [{ code: 'duplicate_signal', message: `signal ${id} is being decided right now` }]);
    if (this.queue.has(id)) return this.refuseRepeat(signal, [{ code: 'duplicate_signal', message: `signal ${id} is already queued` }]);
    // Judged on arrival only: a signal queued for the open is as fresh as when it was queued.
    const untimely = prior?.kind === 'queued' ? undefined : this.untimely(parsed);
    if (untimely) return this.reject(signal, [untimely]);
    if (gate.state === 'HALTED') return this.reject(signal, [gate.check(false)!]);
    return parsed;
  }

  /** `signal_stale` or `signal_from_future` when the signal's time is too far from the engine's clock. */
  private untimely(parsed: ParsedSignal): DecisionReason | undefined {
    const maxAge = this.deps.config.maxSignalAgeMs;
    if (maxAge === null) return undefined;
    const now = this.deps.clock.now();
    const age = now - parsed.time;
    if (age > maxAge) return { code: 'signal_stale', message: `the signal is ${Math.round(age / 1000)} s old (maxSignalAgeMs ${maxAge})` };
    if (-age > SIGNAL_AHEAD_MS) return { code: 'signal_from_future', message: `the signal is ${Math.round(-age / 1000)} s ahead of the engine's clock` };
    return undefined;
  }

  /**
   * Releases the queued signals (of one asset class, or all) whose market is open now, in the order
   * they were queued — decided in turn and sent together, as a batch is: at the open, a queue of
   * signals costs one broker round trip and one journal flush, not one of each per signal. A signal
   * that fails is logged; the others go on.
   */
  async releaseReady(assetClass?: 'equity' | 'forex'): Promise<void> {
    if (this.deps.recovering?.()) return;
    const now = this.deps.clock.now();
    const ready = this.queue.list().filter((entry) => {
      const entryClass = entry.signal.assetClass ?? 'equity';
      return (!assetClass || entryClass === assetClass) && this.deps.market.isMarketOpen(entry.symbol, entryClass, now);
    });
    if (ready.length === 0) return;
    // Their assets looked up together (a weekend outlasts the cache): one round trip, not one per signal.
    await this.deps.assets.loadAll(ready.map((entry) => entry.symbol));
    // One withdrawn, approved or released by another pass meanwhile is skipped (release: undefined).
    await decideInTurn(ready, (entry, onSubmitted) =>
      this.release(entry.signal.id, 'released', onSubmitted)?.then(
        () => undefined,
        (error: unknown) => this.deps.logger.warn('releasing a queued signal failed', { error: describeError(error) }),
      ),
    );
  }

  /** Takes a signal off the queue and runs it (an operator's approval skips the `market_open` check); undefined when it is not queued. */
  release(signalId: string, how: 'released' | 'approved', onSubmitted?: () => void): Promise<SignalDecision> | undefined {
    const entry = this.dequeue(signalId, how);
    return entry ? this.run(entry.signal, how === 'approved', onSubmitted) : undefined;
  }

  /** An operator's no: drops a queued signal (journaled and emitted as rejected). */
  rejectQueued(signalId: string, reason: string): SignalDecision | undefined {
    const entry = this.dequeue(signalId, 'rejected');
    return entry ? this.reject(entry.signal, [{ code: 'rejected_by_operator', message: reason }]) : undefined;
  }

  /** The decision, or a promise of it where a stage waits (an asset to look up, the broker's answer). */
  private decide(signal: Signal, parsed: ParsedSignal, approved: boolean, onSubmitted: (() => void) | undefined): SignalDecision | Promise<SignalDecision> {
    const cached = this.deps.assets.peek(parsed.symbol);
    return cached ? this.decideWith(cached.asset, signal, parsed, approved, onSubmitted) : this.lookUpAndDecide(signal, parsed, approved, onSubmitted);
  }

  private async lookUpAndDecide(signal: Signal, parsed: ParsedSignal, approved: boolean, onSubmitted: (() => void) | undefined): Promise<SignalDecision> {
    let asset: AssetInfo | undefined;
    try {
      asset = await this.deps.assets.load(parsed.symbol);
    } catch (error) {
      if (!isBrokerError(error)) throw error;
      return this.reject(signal, [{ code: BROKER_UNAVAILABLE, message: `could not look ${parsed.symbol} up at the broker: ${error.message}` }]);
    }
    return this.decideWith(asset, signal, parsed, approved, onSubmitted);
  }

  private decideWith(asset: AssetInfo | undefined, signal: Signal, parsed: ParsedSignal, approved: boolean, onSubmitted: (() => void) | undefined): SignalDecision | Promise<SignalDecision> {
    const { positions, policy, config, capabilities, gate, breakers, prices } = this.deps;
    // A signal that does not say what it trades trades what the broker says the symbol is
    // (EUR_USD is forex on OANDA): its market hours, sizing and order follow from that.
    if (signal.assetClass === undefined && asset && asset.assetClass !== parsed.assetClass) parsed = { ...parsed, assetClass: asset.assetClass };
    const position = positions.get(parsed.symbol);
    const intent = policy(parsed, { config, position, capabilities, asset });
    if (intent.action === 'none') return this.reject(signal, [intent.reason]);
    const stopped = gate.check(intent.action === 'close');
    if (stopped) return this.reject(signal, [stopped]);
    const blocked = breakers.blocked(parsed.strategyId);
    if (blocked && intent.action !== 'close') return this.reject(signal, [{ code: 'strategy_halted', message: `strategy ${parsed.strategyId} is stopped: ${blocked}` }]);

    const price = prices.get(parsed.symbol) ?? parsed.expectedPrice ?? position?.currentPrice;
    if (!price) return this.reject(signal, [{ code: 'no_price', message: `no price for ${parsed.symbol}: call updatePrice or give expectedPrice` }]);
    return intent.action === 'close' ? this.exit(signal, parsed, intent, asset, price, approved, onSubmitted) : this.enter(signal, parsed, intent, asset, price, position, approved, onSubmitted);
  }

  private enter(
    signal: Signal,
    parsed: ParsedSignal,
    intent: Extract<TradeIntent, { action: 'open' | 'scale_in' }>,
    asset: AssetInfo | undefined,
    price: Decimal,
    position: Position | undefined,
    approved: boolean,
    onSubmitted: (() => void) | undefined,
  ): SignalDecision | Promise<SignalDecision> {
    const { config, buyingPower, positions, orders, gate } = this.deps;
    const long = intent.action === 'open' ? intent.direction === 'long' : intent.position.side === 'long';
    const stop = this.stopFor(parsed, price, long);
    const targetPrice = this.targetFor(parsed, price, stop, long);
    const equity = buyingPower.equity;
    const available = buyingPower.available();
    const exposure = addDecimals(positions.exposure(), buyingPower.reserved());
    const positionNotional = position ? multiplyDecimals(position.quantity, price) : ZERO;
    const limits = buyingPower.limits;
    const sizing = sizePosition({
      config,
      price,
      stopPrice: stop,
      strength: parsed.strength,
      allocation: parsed.allocation,
      quantity: parsed.quantity,
      equity,
      buyingPower: available,
      exposure,
      positionNotional,
      asset,
      assetClass: parsed.assetClass,
      maxPositionNotional: limits.maxPositionNotional,
      maxExposureNotional: limits.maxExposureNotional,
    });

    const reasons: DecisionReason[] = [];
    if (sizing.quantity.isZero() || compareDecimal(sizing.notional, config.minTradeSize) < 0) {
      const capped = sizing.caps.length > 0 ? ` after capping by ${sizing.caps.join(', ')}` : '';
      reasons.push({ code: 'below_min_trade_size', message: `the sized order is ${sizing.notional.toFixed(2)}${capped}; the minimum trade is ${config.minTradeSize.toFixed(2)}` });
    }
    reasons.push(
      ...runPreTradeChecks(
        this.checkContext(parsed, 'entry', sizing.notional, asset, {
          equity,
          buyingPower: available,
          exposure,
          positionNotional,
          opensNewPosition: intent.action === 'open',
          scalingIn: intent.action === 'scale_in',
          hasPosition: position !== undefined,
        }),
        this.rules,
      ),
    );
    const held = this.holdOrReject(signal, reasons, approved);
    if (held) return held;

    // Checked again at the last moment: a halt that arrived while this signal awaited must stop it.
    const late = gate.check(false);
    if (late) return this.reject(signal, [late]);
    const side = long ? 'buy' : 'sell';
    const request = this.orderRequest(parsed, side, sizing.quantity, price, false);
    buyingPower.reserve(request.clientOrderId, sizing.notional);
    const submitting = orders.submit(request, {
      onCreated: (created) =>
        positions.trackEntry(created, {
          signalId: parsed.id,
          signalStrength: parsed.strength,
          strategyId: parsed.strategyId,
          stopPrice: stop,
          targetPrice,
        }),
    });
    onSubmitted?.();
    // A continuation, not an async frame: this function's frame is large, and kept alive while the order is on the wire.
    return submitting.then((order) => this.afterSubmit(signal, intent, order, sizing));
  }

  private exit(
    signal: Signal,
    parsed: ParsedSignal,
    intent: Extract<TradeIntent, { action: 'close' }>,
    asset: AssetInfo | undefined,
    price: Decimal,
    approved: boolean,
    onSubmitted: (() => void) | undefined,
  ): SignalDecision | Promise<SignalDecision> {
    const { config, buyingPower, positions, protection, gate } = this.deps;
    const position = intent.position;
    const step = quantityStep(asset, position.assetClass, config.allowFractional);
    const quantity = exitQuantity(position.quantity, intent.fraction, step);
    const reasons = runPreTradeChecks(
      // Exits are judged only by market, tradability and working orders: no exposure arithmetic needed.
      this.checkContext(parsed, 'exit', multiplyDecimals(quantity, price), asset, {
        equity: buyingPower.equity,
        buyingPower: ZERO,
        exposure: ZERO,
        positionNotional: ZERO,
        opensNewPosition: false,
        scalingIn: false,
        hasPosition: true,
      }),
      this.rules,
    );
    if (position.quantity.isZero()) reasons.push({ code: 'position_not_filled', message: `the ${parsed.symbol} entry has not filled yet` });
    else if (quantity.isZero()) reasons.push({ code: 'below_min_trade_size', message: `${intent.fraction.toString()} of ${position.quantity.toString()} rounds to nothing` });
    const held = this.holdOrReject(signal, reasons, approved);
    if (held) return held;

    const late = gate.check(true);
    if (late) return this.reject(signal, [late]);
    const side = position.side === 'long' ? 'sell' : 'buy';
    // Where open exits hold the shares (Alpaca), the protective orders first give up what this exit sells.
    if (protection) return this.afterRoomForExit(protection, signal, parsed.symbol, quantity, () => this.sendExit(signal, parsed, intent, side, quantity, price, onSubmitted));
    return this.sendExit(signal, parsed, intent, side, quantity, price, onSubmitted);
  }

  /** Sends the exit once the protective orders have made room for it (or refuses it when they could not in time). */
  private async afterRoomForExit(protection: RiskOrderManager, signal: Signal, symbol: string, quantity: Decimal, send: () => Promise<SignalDecision>): Promise<SignalDecision> {
    if (!(await protection.makeRoomForExit(symbol, quantity))) {
      return this.reject(signal, [{ code: 'exit_blocked', message: `${symbol}: the protective orders' cancels did not end in time (unconfirmed, or refused by the broker: see the exit_blocked alert)` }]);
    }
    const decision = await send();
    // Sent with the stop cancelled (or shrunk, for part of the position): if it does not close what
    // it should, the stop comes back to the position — also when it was not sent at all (queued).
    if (decision.kind === 'executed') protection.watchExit(decision.order);
    else protection.exitNotSent(symbol);
    return decision;
  }

  private sendExit(
    signal: Signal,
    parsed: ParsedSignal,
    intent: Extract<TradeIntent, { action: 'close' }>,
    side: 'buy' | 'sell',
    quantity: Decimal,
    price: Decimal,
    onSubmitted: (() => void) | undefined,
  ): Promise<SignalDecision> {
    const { orders, positions } = this.deps;
    const submitting = orders.submit(this.orderRequest(parsed, side, quantity, price, true), {
      onCreated: (created) => positions.trackExit(created),
    });
    onSubmitted?.();
    return submitting.then((order) => this.afterSubmit(signal, intent, order, undefined));
  }

  /**
   * Where the stop goes (it sizes fixed-fractional risk and is recorded on the position): the
   * signal's explicit `stopPrice` hint, else the configured method — percent, ATR × multiple (with
   * the signal's ATR), beyond the signal's support (long) / resistance (short) level by the buffer,
   * or the trailing percent — falling back to percent when the method's input is missing.
   */
  stopFor(signal: Pick<ParsedSignal, 'stopPrice' | 'supportLevel' | 'resistanceLevel' | 'atr'>, price: Decimal, long: boolean): Decimal {
    if (signal.stopPrice) return signal.stopPrice;
    const side = long ? 'long' : 'short';
    const rule = this.deps.config.stopLoss;
    const level = long ? signal.supportLevel : signal.resistanceLevel;
    if (rule.method === 'atr' && signal.atr) return stopPrice(side, price, { method: 'atr', atr: signal.atr, multiplier: rule.atrMultiplier });
    if (rule.method === 'support' && level) return stopPrice(side, price, { method: 'support', level, bufferPct: rule.supportBufferPct });
    if (rule.method === 'trailing') return stopPrice(side, price, { method: 'trailing', percent: rule.trailingPercent });
    return stopPrice(side, price, { method: 'percent', percent: rule.percent });
  }

  /** The target: the signal's `targetPrice` hint, else the resistance (long) / support (short) level, else reward:risk. */
  targetFor(signal: Pick<ParsedSignal, 'targetPrice' | 'supportLevel' | 'resistanceLevel'>, price: Decimal, stop: Decimal, long: boolean): Decimal {
    if (signal.targetPrice) return signal.targetPrice;
    const side = long ? 'long' : 'short';
    const level = long ? signal.resistanceLevel : signal.supportLevel;
    const takeProfit = this.deps.config.takeProfit;
    if (takeProfit.method === 'resistance' && level) return targetLegs(side, price, stop, { method: 'resistance', level })[0]!.price;
    const ratio = takeProfit.method === 'partial' ? 2 : takeProfit.riskRewardRatio;
    return targetLegs(side, price, stop, { method: 'risk_reward', ratio })[0]!.price;
  }

  private orderRequest(signal: ParsedSignal, side: 'buy' | 'sell', quantity: Decimal, price: Decimal, reduceOnly: boolean): OrderRequest & { clientOrderId: string } {
    const om = this.deps.config.orderManagement;
    // Outside the regular session brokers take only limit orders flagged for extended hours.
    const session = this.deps.market.session?.(signal.symbol, signal.assetClass) ?? 'regular';
    const extended = signal.assetClass === 'equity' && (session === 'pre_market' || session === 'after_hours');
    // Exits are market orders (getting out must not wait on a price), except where the session forbids them.
    const limit = extended || (om.entryOrderType === 'limit' && !reduceOnly);
    const request: Mutable<OrderRequest> & { clientOrderId: string } = {
      clientOrderId: this.deps.ids.next('tw'),
      symbol: signal.symbol,
      side,
      quantity,
      assetClass: signal.assetClass,
      type: limit ? 'limit' : 'market',
      reduceOnly,
      signalId: signal.id,
      strategyId: signal.strategyId,
    };
    if (limit) {
      const marketable = marketableLimit(price, side, om.limitOffsetBps);
      // On the asset's price grid where the broker publishes one (a KRX tick, a sub-penny rule), rounded toward the market.
      const step = this.deps.assets.peek(signal.symbol)?.asset?.priceIncrement;
      request.limitPrice = step && step.greaterThan(0) ? roundToStep(marketable, step, side === 'buy' ? Decimal.ROUND_DOWN : Decimal.ROUND_UP) : marketable;
    }
    if (extended) {
      request.extendedHours = true;
      request.timeInForce = 'day';
    } else if (om.timeInForce) {
      request.timeInForce = om.timeInForce;
    }
    return request;
  }

  private checkContext(
    signal: ParsedSignal,
    purpose: 'entry' | 'exit',
    notional: Decimal,
    asset: AssetInfo | undefined,
    facts: Pick<PreTradeContext, 'equity' | 'buyingPower' | 'exposure' | 'positionNotional' | 'opensNewPosition' | 'scalingIn' | 'hasPosition'>,
  ): PreTradeContext {
    const { positions, buyingPower, config, market, clock, orders } = this.deps;
    const pnl = positions.pnl();
    const limits = buyingPower.limits;
    // Listed, not spread: a spread followed by more keys builds a slow dictionary-mode object in V8.
    return {
      maxPositionNotional: purpose === 'entry' ? limits.maxPositionNotional : undefined,
      maxExposureNotional: purpose === 'entry' ? limits.maxExposureNotional : undefined,
      equity: facts.equity,
      buyingPower: facts.buyingPower,
      exposure: facts.exposure,
      positionNotional: facts.positionNotional,
      opensNewPosition: facts.opensNewPosition,
      scalingIn: facts.scalingIn,
      hasPosition: facts.hasPosition,
      config,
      symbol: signal.symbol,
      purpose,
      notional,
      openPositions: positions.count,
      dailyPnl: pnl.daily,
      startOfDayEquity: pnl.startOfDayEquity ?? facts.equity,
      marketOpen: market.isMarketOpen(signal.symbol, signal.assetClass, clock.now()),
      asset,
      accountCurrency: buyingPower.snapshot?.currency,
      hasWorkingOrder: orders.hasWorkingOrder(signal.symbol, RiskOrderManager.isProtective),
      strategyId: signal.strategyId,
      exposureWhere: this.exposureWhere,
      exposureOf: this.deps.exposures ? this.exposureOf : undefined,
    };
  }

  /** The limits' totals, from the engine's index (one function, not a closure per signal). */
  private readonly exposureOf = (keyOf: ExposureKey, key: string): Decimal => this.deps.exposures!.exposureOf(keyOf, key);

  /** Exposure of the positions (at their prices) and working entries whose symbol and strategy pass `where`: for group and strategy limits. One function, not a closure per signal. */
  private readonly exposureWhere = (where: (symbol: string, strategyId: string | undefined) => boolean): Decimal => {
    const { positions, orders, prices } = this.deps;
    let total = ZERO;
    for (const p of positions.openPositions()) if (where(p.symbol, p.strategyId)) total = addDecimals(total, positionValue(p));
    for (const o of orders.workingOrders()) {
      const amount = where(o.symbol, o.strategyId) ? entryExposure(o, prices.get(o.symbol)) : undefined;
      if (amount) total = addDecimals(total, amount);
    }
    return total;
  };

  /**
   * Decides what failed checks mean: nothing failed → go on (undefined); only the market is closed
   * and queueing is on → queue; an operator approved it → ignore `market_open`; else reject.
   */
  private holdOrReject(signal: Signal, reasons: DecisionReason[], approved: boolean): SignalDecision | undefined {
    const remaining = approved ? reasons.filter((r) => r.code !== 'market_open') : reasons;
    if (remaining.length === 0) return undefined;
    if (remaining.length === 1 && remaining[0]!.code === 'market_open' && this.deps.config.marketHours.queueWhenClosed) {
      return this.enqueue(signal, 'market_closed', remaining[0]!.message);
    }
    return this.reject(signal, remaining);
  }

  /** After a send: a WAITING refusal (market closed, halt) queues the signal rather than losing it. */
  private afterSubmit(signal: Signal, intent: Exclude<TradeIntent, { action: 'none' }>, order: Order, sizing: SizingResult | undefined): SignalDecision {
    const waiting = this.deps.errorHandler.takeWaitingRefusal(order.clientOrderId);
    if (waiting && order.status === 'rejected') {
      return this.enqueue(signal, waiting.code === 'trading_halted' ? 'trading_halted' : 'market_closed', waiting.message, order.clientOrderId);
    }
    return this.executed(signal, intent, order, sizing);
  }

  private enqueue(signal: Signal, reason: QueueReason, detail: string, refusedOrderId?: string): SignalDecision {
    const at = this.deps.clock.now();
    this.queue.add({ signal, symbol: signal.symbol, reason, detail, queuedAt: at, ...(refusedOrderId ? { refusedOrderId } : {}) });
    const decision = { kind: 'queued' as const, signal, reason, detail, decidedAt: at };
    this.decisions.record(decision, refusedOrderId);
    this.deps.events.emit('signal:queued', decision);
    return decision;
  }

  private dequeue(signalId: string, how: 'released' | 'approved' | 'rejected'): QueuedSignal | undefined {
    const entry = this.queue.take(signalId);
    if (!entry) return undefined;
    const at = this.deps.clock.now();
    this.deps.journal.append({ kind: 'note', at, topic: `signal.${how}`, symbol: entry.symbol, data: { signalId } });
    this.deps.events.emit('signal:dequeued', { signal: entry.signal, how, at });
    return entry;
  }

  /** A refusal: journaled as the signal's decision, so a replay of it is not decided again. */
  private reject(signal: Signal, reasons: readonly DecisionReason[]): SignalDecision {
    const decision = { kind: 'rejected' as const, signal, reasons, decidedAt: this.deps.clock.now() };
    this.decisions.record(decision);
    this.deps.events.emit('signal:rejected', decision);
    return decision;
  }

  /** A signal id seen before: refused as `duplicate_signal`, and not recorded (the first decision stands). */
  private refuseRepeat(signal: Signal, prior: RecordedDecision | readonly DecisionReason[]): SignalDecision {
    const reasons = Array.isArray(prior) ? prior : [{ code: 'duplicate_signal', message: describePrior(prior as RecordedDecision) }];
    const decision = { kind: 'rejected' as const, signal, reasons, decidedAt: this.deps.clock.now() };
    this.deps.events.emit('signal:rejected', decision);
    return decision;
  }

  private executed(signal: Signal, intent: Exclude<TradeIntent, { action: 'none' }>, order: Order, sizing: SizingResult | undefined): SignalDecision {
    const decision: Mutable<Extract<SignalDecision, { kind: 'executed' }>> = { kind: 'executed', signal, intent, order, quantity: order.quantity, decidedAt: this.deps.clock.now() };
    if (sizing) decision.sizing = sizing;
    this.decisions.record(decision);
    this.deps.events.emit('signal:executed', decision);
    return decision;
  }
}

/** The broker could not be asked (its failures outlasted the retries): nothing was decided about the trade itself. */
const BROKER_UNAVAILABLE = 'broker_unavailable';
/** How far ahead of the engine's clock a signal may be (clocks drift a little; years are a bug). */
const SIGNAL_AHEAD_MS = 60_000;

/** Admitted (parsed) rather than refused: a decision always has `decidedAt`, a parsed signal never. */
function isParsed(admitted: ParsedSignal | SignalDecision): admitted is ParsedSignal {
  return !('decidedAt' in admitted);
}

/** A refusal only because the broker was unreachable: the same signal may be sent again. */
function isTransientRefusal(prior: RecordedDecision): boolean {
  return prior.kind === 'rejected' && prior.reasons.every((r) => r.code === BROKER_UNAVAILABLE);
}

function describePrior(prior: RecordedDecision): string {
  if (prior.kind === 'executed') return `signal ${prior.signalId} already produced order ${prior.clientOrderId}`;
  if (prior.kind === 'rejected') return `signal ${prior.signalId} was already decided: rejected (${prior.reasons.map((r) => r.code).join(', ')})`;
  return `signal ${prior.signalId} is already queued`;
}
