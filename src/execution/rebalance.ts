import { Decimal, type DecimalInput, toDecimal, ZERO } from '../core/decimal.js';
import { ValidationError, type ValidationIssue } from '../core/errors.js';
import type { Position } from '../positions/position.js';
import type { Signal } from '../signals/signal.js';
import { decideInTurn } from './decide-in-turn.js';
import type { SignalDecision } from './signal-decision.js';

/** How a rebalance runs. */
export interface RebalanceOptions {
  /** Plan only: nothing is sent (default false). */
  readonly dryRun?: boolean;
  /** Leave a name alone within ± this many percentage points of its target weight (default 0.5). */
  readonly driftBandPct?: DecimalInput;
  /** Close what is held but not in the targets (default true). */
  readonly liquidateUnlisted?: boolean;
  /** The strategy the orders trade under (default `rebalance`). */
  readonly strategyId?: string;
  /** Names the run's signals (`<runId>:<symbol>`; default `rb-<time>`). */
  readonly runId?: string;
}

/** One name's line of a rebalance. Decimals as exact strings. */
export interface RebalanceLine {
  readonly symbol: string;
  readonly price?: string;
  readonly currentQuantity: string;
  readonly targetQuantity?: string;
  readonly currentWeight?: string;
  readonly targetWeight: string;
  /** What it takes: sell or buy this many, or nothing. */
  readonly action: 'sell' | 'buy' | 'none';
  readonly quantity: string;
  readonly status: 'planned' | 'executed' | 'skipped' | 'refused';
  readonly reason?: string;
  readonly decision?: SignalDecision;
}

export interface RebalanceResult {
  readonly runId: string;
  readonly equity: string;
  readonly dryRun: boolean;
  /** Sells first, then buys, then the names left alone. */
  readonly lines: readonly RebalanceLine[];
}

/** What the rebalancer needs from the engine. */
export interface RebalanceDeps {
  readonly equity: () => Decimal | undefined;
  readonly price: (symbol: string) => Decimal | undefined;
  readonly positions: () => readonly Position[];
  readonly quantityStep: (symbol: string) => Promise<Decimal>;
  readonly minTradeSize: Decimal;
  readonly now: () => number;
  /** Runs one signal; `onSubmitted` is called once its order is handed over (see `SignalPipeline.run`). */
  readonly execute: (signal: Signal, onSubmitted: () => void) => Promise<SignalDecision>;
}

/**
 * Turns target weights of equity (`{ AAPL: 0.10, MSFT: 0.08 }`) into the orders that get there from
 * the positions held: sells first (they free the cash the buys need), then buys; a name within the
 * drift band, or whose trade would be under the minimum trade size, is left alone; quantities are
 * whole lots (the asset's step) rounded toward zero, so a second rebalance right after plans nothing.
 * Every order is a signal through the engine — the same pre-trade checks and limits (sector,
 * exposure, buying power) — with an explicit quantity; a refusal is reported per name.
 */
export async function rebalance(targets: Readonly<Record<string, DecimalInput>>, options: RebalanceOptions, deps: RebalanceDeps): Promise<RebalanceResult> {
  if (typeof targets !== 'object' || targets === null || Array.isArray(targets)) {
    throw new ValidationError([{ field: 'targets', message: `must be an object of symbol → weight, got ${Array.isArray(targets) ? 'an array' : targets === null ? 'null' : typeof targets}` }], 'rebalance');
  }
  const issues: ValidationIssue[] = [];
  const weights = new Map<string, Decimal>();
  let total = ZERO;
  for (const [symbol, raw] of Object.entries(targets)) {
    let w: Decimal;
    try {
      w = toDecimal(raw, `targets.${symbol}`);
    } catch {
      issues.push({ field: `targets.${symbol}`, message: `must be a decimal weight, got ${String(raw)}` });
      continue;
    }
    if (w.isNegative() || w.greaterThan(1)) issues.push({ field: `targets.${symbol}`, message: `must be a weight from 0 to 1, got ${w.toFixed()}` });
    weights.set(symbol, w);
    total = total.plus(w);
  }
  if (total.greaterThan(1)) issues.push({ field: 'targets', message: `the weights add up to ${total.toFixed()}, more than 1 (all of equity)` });
  const band = toDecimal(options.driftBandPct ?? '0.5', 'driftBandPct').dividedBy(100);
  const equity = deps.equity();
  if (!equity || !equity.greaterThan(0)) issues.push({ field: 'equity', message: 'the account equity is unknown: refresh the account first' });
  if (issues.length > 0) throw new ValidationError(issues, 'rebalance');

  const held = new Map(deps.positions().filter((p) => p.quantity.greaterThan(0)).map((p) => [p.symbol, p]));
  if (options.liquidateUnlisted !== false) for (const symbol of held.keys()) if (!weights.has(symbol)) weights.set(symbol, ZERO);
  const runId = options.runId ?? `rb-${deps.now()}`;
  const strategyId = options.strategyId ?? 'rebalance';
  const sells: RebalanceLine[] = [];
  const buys: RebalanceLine[] = [];
  const alone: RebalanceLine[] = [];
  const priceOf = (symbol: string): Decimal | undefined => deps.price(symbol) ?? held.get(symbol)?.currentPrice;
  // Every priced name's lot size at once: one round trip for the assets not looked up yet, not one per name.
  const priced = [...weights.keys()].filter((symbol) => priceOf(symbol) !== undefined);
  const steps = new Map(await Promise.all(priced.map(async (symbol) => [symbol, await deps.quantityStep(symbol)] as const)));
  for (const [symbol, weight] of weights) {
    const position = held.get(symbol);
    const signed = position ? (position.side === 'long' ? position.quantity : position.quantity.negated()) : ZERO;
    const price = priceOf(symbol);
    const base = { symbol, currentQuantity: signed.toFixed(), targetWeight: weight.toFixed() };
    if (!price) {
      alone.push({ ...base, action: 'none', quantity: '0', status: 'refused', reason: `no price for ${symbol}: call updatePrice` });
      continue;
    }
    const step = steps.get(symbol)!;
    const currentWeight = signed.times(price).dividedBy(equity!);
    const target = weight.times(equity!).dividedBy(price).dividedBy(step).toDecimalPlaces(0, Decimal.ROUND_DOWN).times(step);
    const delta = target.minus(signed);
    const line = { ...base, price: price.toFixed(), currentWeight: currentWeight.toDecimalPlaces(6).toFixed(), targetQuantity: target.toFixed() };
    const drift = currentWeight.minus(weight).abs();
    if (!(weight.isZero() && !signed.isZero()) && drift.lessThanOrEqualTo(band)) {
      alone.push({ ...line, action: 'none', quantity: '0', status: 'skipped', reason: `within ±${band.times(100).toFixed()} points of its target` });
      continue;
    }
    if (delta.isZero() || delta.abs().times(price).lessThan(deps.minTradeSize)) {
      alone.push({ ...line, action: 'none', quantity: delta.abs().toFixed(), status: 'skipped', reason: delta.isZero() ? 'already at its target' : `a trade of ${delta.abs().times(price).toFixed(2)} is under the minimum trade size` });
      continue;
    }
    (delta.isNegative() ? sells : buys).push({ ...line, action: delta.isNegative() ? 'sell' : 'buy', quantity: delta.abs().toFixed(), status: 'planned' });
  }
  if (options.dryRun) return { runId, equity: equity!.toFixed(), dryRun: true, lines: [...sells, ...buys, ...alone] };

  // Sells first: the cash they free is what the buys spend. Decided in that order, sent together
  // as a batch's orders are (see decideInTurn).
  const done: RebalanceLine[] = [...sells, ...buys];
  await decideInTurn(done.keys(), (index, onSubmitted) => {
    const line = done[index]!;
    const held = new Decimal(line.currentQuantity);
    const quantity = new Decimal(line.quantity);
    const signal: Signal =
      line.action === 'sell'
        ? { id: `${runId}:${line.symbol}`, symbol: line.symbol, side: 'sell', strength: 100, time: deps.now(), strategyId, exitFraction: Decimal.min(quantity.dividedBy(held.abs()), 1).toFixed() }
        : { id: `${runId}:${line.symbol}`, symbol: line.symbol, side: 'buy', strength: 100, time: deps.now(), strategyId, quantity: quantity.toFixed() };
    return deps.execute(signal, onSubmitted).then((decision) => void (done[index] = lineFor(line, decision)));
  });
  return { runId, equity: equity!.toFixed(), dryRun: false, lines: [...done, ...alone] };
}

/** A planned line with what the engine decided for it. */
function lineFor(line: RebalanceLine, decision: SignalDecision): RebalanceLine {
  const status = decision.kind === 'executed' ? 'executed' : 'refused';
  const reason = decision.kind === 'rejected' ? decision.reasons.map((r) => `${r.code}: ${r.message}`).join('; ') : decision.kind === 'queued' ? `queued: ${decision.detail}` : undefined;
  return { ...line, status, decision, ...(reason ? { reason } : {}) };
}
