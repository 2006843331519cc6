import { compareDecimal, Decimal, maxDecimal, multiplyDecimals, percentOf, roundToStep, subtractDecimals, ZERO } from '../core/decimal.js';
import type { AssetInfo } from '../broker/reports.js';
import type { ResolvedEngineConfig } from '../config/engine-config.js';

/** Everything sizing looks at, all in the account currency. */
export interface SizingInput {
  readonly config: ResolvedEngineConfig;
  readonly price: Decimal;
  /** Where the stop would be; fixed-fractional risk is measured to it. */
  readonly stopPrice: Decimal;
  readonly strength: number;
  /** A multiple of the computed size (a desk's per-account share of a mirrored signal). */
  readonly allocation?: Decimal | undefined;
  /** Units asked for outright (a rebalance): replaces the sizing method; the caps still apply. */
  readonly quantity?: Decimal | undefined;
  readonly equity: Decimal;
  readonly buyingPower: Decimal;
  /** Current total exposure (open positions and working entry orders). */
  readonly exposure: Decimal;
  /** Notional already held in this symbol (for scale-in). */
  readonly positionNotional: Decimal;
  readonly asset: AssetInfo | undefined;
  readonly assetClass: 'equity' | 'crypto' | 'forex';
  /** Precomputed equity × maxPositionSizePct (the engine computes it once per account snapshot). */
  readonly maxPositionNotional?: Decimal;
  /** Precomputed equity × maxAccountExposurePct. */
  readonly maxExposureNotional?: Decimal;
}

/** Equity × percent ÷ 100: the notional limits the percentages stand for. */
export function sizingLimits(config: ResolvedEngineConfig, equity: Decimal): { maxPositionNotional: Decimal; maxExposureNotional: Decimal } {
  return {
    maxPositionNotional: percentOf(equity, config.maxPositionSizePct),
    maxExposureNotional: percentOf(equity, config.maxAccountExposurePct),
  };
}

/** What limited the size, in the order they were applied. */
export type SizingCap = 'max_position_size' | 'max_exposure' | 'buying_power';

export interface SizingResult {
  readonly quantity: Decimal;
  readonly notional: Decimal;
  /** The size before caps and rounding. */
  readonly requested: Decimal;
  readonly caps: readonly SizingCap[];
  /** The quantity step it was rounded down to. */
  readonly step: Decimal;
}

/**
 * Sizes an entry: fixed-fractional risk (equity × risk% ÷ distance to stop), fixed notional or fixed
 * quantity; optionally scaled by strength / 100; then capped by the room left under the maximum
 * position size, the maximum exposure and the buying power; then rounded **down** to the asset's
 * step (whole shares unless fractional trading is on and the asset allows it, forex units, crypto
 * increments). Pure; all Decimal.
 */
export function sizePosition(input: SizingInput): SizingResult {
  const { config, price } = input;
  let quantity: Decimal;
  if (input.quantity) quantity = input.quantity;
  else switch (config.sizing.method) {
    case 'fixed_fractional': {
      const risk = percentOf(input.equity, config.riskPerTradePct);
      const distance = price.minus(input.stopPrice).abs();
      quantity = distance.isZero() ? ZERO : risk.dividedBy(distance);
      break;
    }
    case 'fixed_notional':
      quantity = config.sizing.notional.dividedBy(price);
      break;
    case 'fixed_quantity':
      quantity = config.sizing.quantity;
      break;
  }
  if (!input.quantity && config.sizing.scaleByStrength) quantity = percentOf(quantity, new Decimal(input.strength));
  if (input.allocation) quantity = multiplyDecimals(quantity, input.allocation);
  const requested = quantity;

  // Caps compare notionals; a division by the price happens only when a cap binds.
  const limits = input.maxPositionNotional && input.maxExposureNotional ? input : sizingLimits(config, input.equity);
  const caps: SizingCap[] = [];
  let notional = multiplyDecimals(quantity, price);
  const room: [SizingCap, Decimal][] = [
    ['max_position_size', subtractDecimals(limits.maxPositionNotional as Decimal, input.positionNotional)],
    ['max_exposure', subtractDecimals(limits.maxExposureNotional as Decimal, input.exposure)],
    ['buying_power', input.buyingPower],
  ];
  let capped = false;
  for (const [cap, limit] of room) {
    if (compareDecimal(notional, limit) > 0) {
      notional = maxDecimal(limit, ZERO);
      capped = true;
      caps.push(cap);
    }
  }
  if (capped) quantity = notional.dividedBy(price);

  const step = quantityStep(input.asset, input.assetClass, config.allowFractional);
  const onStep = step === ONE ? quantity.isInteger() : quantity.modulo(step).isZero();
  if (!onStep) quantity = roundToStep(quantity, step, Decimal.ROUND_DOWN);
  if (input.asset?.minQuantity && quantity.lessThan(input.asset.minQuantity)) quantity = ZERO;
  if (!onStep || quantity.isZero()) notional = multiplyDecimals(quantity, price);
  return { quantity, notional, requested, caps, step };
}

/**
 * The quantity step: the asset's increment when fractional trading applies, else whole units.
 * Equities without asset info trade whole shares; crypto defaults to 1e-8; forex to 1 unit.
 */
export function quantityStep(asset: AssetInfo | undefined, assetClass: string, allowFractional: boolean): Decimal {
  if (asset) {
    if (asset.assetClass === 'equity' && !(allowFractional && asset.fractionable)) return maxDecimal(asset.quantityIncrement, ONE);
    if (!allowFractional) return maxDecimal(asset.quantityIncrement, ONE);
    return asset.quantityIncrement;
  }
  if (assetClass === 'crypto' && allowFractional) return SATOSHI;
  return ONE;
}

const ONE = new Decimal(1);
const SATOSHI = new Decimal('0.00000001');

/** Rounds an exit quantity down to the step, but never leaves dust: a full exit is the full quantity. */
export function exitQuantity(open: Decimal, fraction: Decimal, step: Decimal): Decimal {
  if (compareDecimal(fraction, ONE) >= 0) return open;
  const rounded = roundToStep(open.times(fraction), step, Decimal.ROUND_DOWN);
  return compareDecimal(rounded, open) > 0 ? open : rounded;
}
