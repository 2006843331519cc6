import type { Clock } from '../core/clock.js';
import type { EventSink } from '../events/event-bus.js';
import type { AlertEvents } from '../events/alert.js';
import { type Journal, type JournalEntry, type JournalRecord, lastNote } from '../journal/journal.js';
import type { DecisionReason } from '../signals/signal-policy.js';
import type { EngineStateEvents } from './engine-events.js';
import { tradingGate, type TradingState } from './trading-state.js';

/** The journal note that records every change of the trading state (restored after a restart). */
export const TRADING_STATE_TOPIC = 'engine.trading_state';

/**
 * The one place that says whether a new order may go (after nautilus_trader's RiskEngine trading
 * state): ACTIVE, REDUCING (only orders that reduce exposure) or HALTED. Every change is journaled
 * and announced; `restore` takes back the last journaled state after a restart, so an operator's
 * halt holds until an explicit `resume()`.
 */
export class TradingGate {
  private current: TradingState = 'ACTIVE';
  private why: string | undefined;
  /** The halt asked to close every position (journaled with it: a restart finishes a flatten a crash cut off). */
  private flattening = false;
  private flattenRestored = false;

  constructor(
    private readonly deps: {
      readonly clock: Clock;
      readonly journal: Journal;
      readonly events: EventSink<EngineStateEvents & AlertEvents>;
    },
  ) {}

  get state(): TradingState {
    return this.current;
  }

  get reason(): string | undefined {
    return this.why;
  }

  /** Undefined lets an order through; a reason stops it. */
  check(reducesExposure: boolean): DecisionReason | undefined {
    return tradingGate(this.current, reducesExposure, this.why);
  }

  /** Stops every new order. Resolves with false when trading was already halted. */
  halt(reason: string, cancelOpen: boolean, flatten: boolean): boolean {
    if (this.current === 'HALTED') {
      // A flatten asked of a halt already in place is journaled too: a restart finishes it.
      if (flatten && !this.flattening) {
        this.flattening = true;
        this.set('HALTED', this.why ?? reason);
      }
      return false;
    }
    const at = this.deps.clock.now();
    this.flattening = flatten;
    this.set('HALTED', reason);
    this.deps.events.emit('engine:halted', { reason, at, cancelOpen, flatten });
    this.deps.events.emit('alert', { severity: 'critical', code: 'trading_halted', message: `trading halted: ${reason}` });
    return true;
  }

  /** Only orders that reduce exposure pass, until `resume()` (or a halt). */
  reduceOnly(reason: string): void {
    if (this.current !== 'ACTIVE') return;
    this.set('REDUCING', reason);
  }

  resume(): void {
    if (this.current === 'ACTIVE') return;
    this.flattening = false;
    this.flattenRestored = false;
    this.set('ACTIVE', 'resumed');
    this.deps.events.emit('engine:resumed', { at: this.deps.clock.now() });
  }

  /**
   * After a restart: the last state the journal recorded, taken back without a new record. Returns
   * it (ACTIVE when the journal has none).
   */
  restore(records?: readonly JournalRecord[]): TradingState {
    const record = records ? lastNote(records, TRADING_STATE_TOPIC) : this.deps.journal.query({ topic: TRADING_STATE_TOPIC }).at(-1);
    const last = record?.kind === 'note' ? (record.data as { state: TradingState; reason: string; flatten?: boolean }) : undefined;
    if (last && last.state !== 'ACTIVE') {
      this.current = last.state;
      this.why = last.reason;
      this.flattening = this.flattenRestored = last.state === 'HALTED' && last.flatten === true;
      this.deps.events.emit('engine:trading_state', { state: last.state, reason: last.reason, at: this.deps.clock.now() });
    }
    return this.current;
  }

  /**
   * Restored a halt that asked to close every position (the process died during or after its
   * flatten): the restart closes what is still open. True until `resume()`: every restart while
   * halted finishes it.
   */
  get flattenAfterRestart(): boolean {
    return this.flattenRestored;
  }

  /** The trading state as the note a journal checkpoint carries (none while ACTIVE: nothing to restore). */
  checkpointNotes(at: number): JournalEntry[] {
    return this.current === 'ACTIVE' ? [] : [{ kind: 'note', at, topic: TRADING_STATE_TOPIC, data: this.noteData(this.current, this.why) }];
  }

  private noteData(state: TradingState, reason: string | undefined): Record<string, unknown> {
    return state === 'HALTED' && this.flattening ? { state, reason, flatten: true } : { state, reason };
  }

  private set(state: TradingState, reason: string): void {
    const at = this.deps.clock.now();
    this.current = state;
    this.why = reason;
    this.deps.journal.append({ kind: 'note', at, topic: TRADING_STATE_TOPIC, data: this.noteData(state, reason) });
    this.deps.events.emit('engine:trading_state', { state, reason, at });
  }
}

