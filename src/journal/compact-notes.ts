import { DECISION_TOPIC } from '../execution/decision-log.js';
import { EXECUTION_RECORD_KEYS, EXECUTION_TOPIC, executionDurations, type ExecutionRecord } from '../quality/execution-record.js';
import type { JournalRecord } from './journal.js';

type Note = Extract<JournalRecord, { kind: 'note' }>;
type Data = Record<string, unknown>;

/**
 * The two notes every signal writes, without what their note already says: an execution record
 * without the order id and symbol (the note's), its completion time (the note's) and the five
 * durations its own times give; a signal decision without its symbol and time (the note's). A note
 * whose data does not repeat its note exactly is written as it is. {@link expandNoteData} puts every
 * key back, in the order it was built.
 */
export function compactNoteData(note: Note): unknown {
  if (note.topic === EXECUTION_TOPIC) return compactExecution(note);
  if (note.topic === DECISION_TOPIC) return compactDecision(note);
  return note.data;
}

/** The data of a note as it was before {@link compactNoteData}. */
export function expandNoteData(note: Note): unknown {
  const data = note.data as Data | undefined;
  // Compact data lacks a key every full one has (the order id; the symbol).
  if (note.topic === EXECUTION_TOPIC && isObject(data) && !('clientOrderId' in data)) return expandExecution(note, data);
  if (note.topic === DECISION_TOPIC && isObject(data) && !('symbol' in data)) return expandDecision(note, data);
  return note.data;
}

function isObject(data: unknown): data is Data {
  return typeof data === 'object' && data !== null;
}

function compactExecution(note: Note): unknown {
  const r = note.data as ExecutionRecord | undefined;
  if (!isObject(r) || r.clientOrderId !== note.clientOrderId || r.symbol !== note.symbol || r.completedAt !== note.at) return note.data;
  // Exactly the keys the monitor builds (a record with others is written as it is)…
  let keys = 0;
  for (const _ in r) keys++;
  if (keys !== EXECUTION_RECORD_KEYS.length) return note.data;
  // …and durations its times give.
  const derived = executionDurations(r.receivedAt, r.submittedAt, r.acknowledgedAt, r.firstFillAt, r.completedAt);
  if (
    r.signalToSubmitMs !== derived.signalToSubmitMs ||
    r.submitToAckMs !== derived.submitToAckMs ||
    r.submitToFirstFillMs !== derived.submitToFirstFillMs ||
    r.submitToCompleteMs !== derived.submitToCompleteMs ||
    r.signalToFirstFillMs !== derived.signalToFirstFillMs
  )
    return note.data;
  // One literal: one hidden class, which JSON.stringify walks fastest (undefined keys are left out).
  return {
    brokerOrderId: r.brokerOrderId,
    signalId: r.signalId,
    strategyId: r.strategyId,
    assetClass: r.assetClass,
    side: r.side,
    type: r.type,
    broker: r.broker,
    accountId: r.accountId,
    status: r.status,
    reason: r.reason,
    requestedQuantity: r.requestedQuantity,
    filledQuantity: r.filledQuantity,
    fillRate: r.fillRate,
    requestedPrice: r.requestedPrice,
    expectedPrice: r.expectedPrice,
    expectedPriceSource: r.expectedPriceSource,
    arrivalPrice: r.arrivalPrice,
    averageFillPrice: r.averageFillPrice,
    slippage: r.slippage,
    slippageBps: r.slippageBps,
    slippageCost: r.slippageCost,
    commission: r.commission,
    fills: r.fills,
    signalTime: r.signalTime,
    receivedAt: r.receivedAt,
    createdAt: r.createdAt,
    submittedAt: r.submittedAt,
    acknowledgedAt: r.acknowledgedAt,
    firstFillAt: r.firstFillAt,
    revision: r.revision,
  };
}

function expandExecution(note: Note, data: Data): Data {
  const times = data as Partial<Record<string, number>>;
  const known: Data = { ...data, clientOrderId: note.clientOrderId, symbol: note.symbol, completedAt: note.at, ...executionDurations(times.receivedAt, times.submittedAt, times.acknowledgedAt, times.firstFillAt, note.at) };
  // Every key, absent ones undefined, as the monitor builds it (so that writing it again compacts it again).
  const out: Data = {};
  for (const key of EXECUTION_RECORD_KEYS) out[key] = known[key];
  return out;
}

function compactDecision(note: Note): unknown {
  const data = note.data as Data | undefined;
  if (!isObject(data) || data.symbol !== note.symbol || data.decidedAt !== note.at) return note.data;
  const out: Data = {};
  for (const key in data) if (key !== 'symbol' && key !== 'decidedAt') out[key] = data[key];
  return out;
}

function expandDecision(note: Note, data: Data): Data {
  // In the order a decision is built: its signal id, symbol and time first.
  const { signalId, ...rest } = data;
  return { signalId, symbol: note.symbol, decidedAt: note.at, ...rest };
}
