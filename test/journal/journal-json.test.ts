import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, ExecutionEngine, FileJournal, type JournalRecord, journalRecordFromJSON, type JournalRecordJSON, journalRecordText, journalRecordToJSON, sequentialIds, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, settle } from 'tradewire/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fill, newOrder } from '../helpers.js';

/** Written as a durable journal writes it, and read back. */
function throughText(record: JournalRecord): { text: string; back: JournalRecord } {
  const text = JSON.stringify(journalRecordToJSON(record));
  return { text, back: journalRecordFromJSON(JSON.parse(text) as JournalRecordJSON) };
}

/** JSON-equal (a key holding undefined is a key left out), decimals compared as numbers. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** A trading session on the mock broker: limit entries filled in parts, protection, cancels, a timeout, a checkpoint. */
async function sessionRecords(): Promise<JournalRecord[]> {
  const clock = new ManualClock(Date.UTC(2025, 5, 2, 15, 0));
  const dir = mkdtempSync(join(tmpdir(), 'tw-json-'));
  const journal = new FileJournal({ path: join(dir, 'j.jsonl'), sync: 'os', logger: silentLogger });
  const broker = new MockBroker({ clock, name: 'mock' });
  const engine = new ExecutionEngine({
    adapter: broker,
    clock,
    ids: sequentialIds(),
    logger: silentLogger,
    journal,
    config: {
      sizing: { method: 'fixed_quantity', quantity: 10 },
      recovery: { reconcileIntervalMs: 0 },
      orderManagement: { entryOrderType: 'limit', limitOffsetBps: 10, orderTimeoutMs: 30_000 },
      accountRefreshMs: 86_400_000,
    },
  });
  for (const s of ['AAPL', 'MSFT']) broker.setPrice(s, '100');
  await engine.start();
  for (const s of ['AAPL', 'MSFT']) engine.updatePrice(s, '100');
  broker.setLiquidity('AAPL', 4); // fills in parts
  await engine.executeSignal({ id: 's1', symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 'k', expectedPrice: '100' });
  clock.advance(1_000);
  broker.setPrice('AAPL', '100.05');
  await settle();
  clock.advance(40_000); // past the entry's timeout: the rest is cancelled
  await settle();
  broker.setLiquidity('AAPL', undefined);
  await engine.executeSignal({ id: 's2', symbol: 'MSFT', side: 'buy', strength: 90, time: clock.now() - 250, strategyId: 'k' });
  clock.advance(500);
  broker.setPrice('MSFT', '97'); // the stop
  await settle();
  expect(engine.checkpoint()).toBe(true);
  await engine.executeSignal({ id: 's3', symbol: 'MSFT', side: 'sell', strength: 90, time: clock.now(), strategyId: 'k' });
  await settle();
  await engine.stop();
  const records = journal.history();
  journal.close();
  rmSync(dir, { recursive: true, force: true });
  return records;
}

describe('journal records as compact JSON', () => {
  it('every record of a trading session reads back equal, and writing it again gives the same text', async () => {
    const records = await sessionRecords();
    const kinds = new Set(records.map((r) => (r.kind === 'order.event' ? `event ${r.event.type}` : r.kind === 'note' ? r.topic : r.kind)));
    // The session covers what the codec leaves out and puts back.
    for (const kind of ['order.created', 'event accepted', 'event filled', 'event cancel_requested', 'event cancelled', 'execution.recorded', 'signal.decision', 'journal.checkpoint']) expect(kinds).toContain(kind);
    for (const record of records) {
      const { text, back } = throughText(record);
      expect(plain(back)).toEqual(plain(record));
      expect(JSON.stringify(journalRecordToJSON(back))).toBe(text);
      if (record.kind === 'order.created') expect(back.kind === 'order.created' && back.order.quantity instanceof Decimal).toBe(true);
    }
  });

  it('journalRecordText (what the journals write) is the JSON of journalRecordToJSON, and reads back equal', async () => {
    const records = await sessionRecords();
    const edge = edgeRecords();
    for (const record of [...records, ...edge]) {
      const text = journalRecordText(record);
      expect(JSON.parse(text)).toEqual(plain(journalRecordToJSON(record)));
      expect(plain(journalRecordFromJSON(JSON.parse(text) as JournalRecordJSON))).toEqual(plain(record));
      expect(journalRecordText(journalRecordFromJSON(JSON.parse(text) as JournalRecordJSON))).toBe(text);
    }
    // The engine's events are built in the order the text writes their keys: the very same text.
    for (const record of records) expect(journalRecordText(record)).toBe(JSON.stringify(journalRecordToJSON(record)));
    // An event with a key no order event has is written the long way, and keeps it.
    const odd = { ...edge[1]!, event: { type: 'cancel_requested', at: 6_000, venue: 'X' } } as unknown as JournalRecord;
    expect(JSON.parse(journalRecordText(odd))).toMatchObject({ event: { venue: 'X' } });
  });

  it('an event record with any strings (quotes, controls, non-ASCII, lone surrogates) is written as JSON.stringify writes it', () => {
    // Strings of every UTF-16 unit: the writer quotes a string itself only when nothing in it needs escaping.
    const unit = fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), fc.constantFrom('"', '\\', '\n', '\u007f', 'a', '-'));
    const text = fc.string({ unit, maxLength: 12 });
    fc.assert(
      fc.property(text, text, text, fc.option(text, { nil: undefined }), fc.option(text, { nil: undefined }), (clientOrderId, symbol, reason, brokerOrderId, replacedBy) => {
        const event = replacedBy === undefined ? { type: 'rejected' as const, at: 8_000, reason } : { type: 'superseded' as const, at: 8_000, replacedBy };
        const record = { kind: 'order.event', at: 8_000, clientOrderId, symbol, from: 'submitted', status: 'rejected', outcome: 'applied', eventType: event.type, event, brokerOrderId, reason, seq: 3 } as unknown as JournalRecord;
        const written = journalRecordText(record);
        expect(written).toBe(JSON.stringify(journalRecordToJSON(record)));
        expect(plain(journalRecordFromJSON(JSON.parse(written) as JournalRecordJSON))).toEqual(plain(record));
      }),
      { numRuns: 500 },
    );
  });

  it('records carry what changed: no order keys the record says or that hold their default, no eventType, no repeated times or ids', async () => {
    const records = await sessionRecords();
    const created = records.find((r) => r.kind === 'order.created' && r.status === 'created')!;
    const order = (plain(journalRecordToJSON(created)) as { order: Record<string, unknown> }).order;
    for (const key of ['clientOrderId', 'symbol', 'status', 'brokerOrderIds', 'fills', 'filledQuantity', 'commission', 'createdAt', 'updatedAt', 'extendedHours', 'links', 'tags']) expect(order).not.toHaveProperty(key);
    expect(order).toMatchObject({ side: 'buy', type: 'limit', quantity: '10' });

    const filled = records.find((r) => r.kind === 'order.event' && r.event.type === 'filled')!;
    const json = plain(journalRecordToJSON(filled)) as Record<string, unknown> & { event: Record<string, unknown> & { fill: Record<string, unknown> } };
    expect(json).not.toHaveProperty('eventType');
    expect(json).not.toHaveProperty('outcome'); // applied
    expect(json.event).not.toHaveProperty('at');
    expect(json.event).not.toHaveProperty('brokerOrderId');
    expect(json.event.fill).not.toHaveProperty('time');
    expect(json.brokerOrderId).toBe(filled.kind === 'order.event' && filled.brokerOrderId);

    const execution = records.find((r) => r.kind === 'note' && r.topic === 'execution.recorded')!;
    const data = (plain(journalRecordToJSON(execution)) as { data: Record<string, unknown> }).data;
    for (const key of ['clientOrderId', 'symbol', 'completedAt', 'signalToSubmitMs', 'submitToAckMs', 'submitToFirstFillMs', 'submitToCompleteMs', 'signalToFirstFillMs']) expect(data).not.toHaveProperty(key);
    // The entry filled in parts and was cancelled at its timeout: its durations are not zero, and come back.
    const took = (execution as { data: { submitToCompleteMs: number } }).data.submitToCompleteMs;
    expect(took).toBeGreaterThanOrEqual(30_000);
    expect((throughText(execution).back as { data: { submitToCompleteMs: number } }).data.submitToCompleteMs).toBe(took);

    // A third smaller than spelling everything out, as records were written before.
    const compact = records.reduce((n, r) => n + JSON.stringify(journalRecordToJSON(r)).length, 0);
    const spelled = records.reduce((n, r) => n + JSON.stringify(spelledOut(r)).length, 0);
    expect(compact).toBeLessThan(spelled * 0.8);
  });

  it('reads records written spelled out, as journals written before hold them', () => {
    const order = { ...newOrder({ type: 'limit', limitPrice: '10.05', clientOrderId: 'c-1' }), status: 'accepted' as const, brokerOrderId: 'b-1', brokerOrderIds: ['b-1'] };
    const created = { kind: 'order.created', at: 1_000, clientOrderId: 'c-1', symbol: 'AAPL', status: 'accepted', order, timeoutMs: 5_000, seq: 1 } as const;
    const event = { kind: 'order.event', at: 2_000, clientOrderId: 'c-1', symbol: 'AAPL', from: 'accepted', status: 'filled', outcome: 'applied', eventType: 'filled', event: { type: 'filled', at: 2_000, fill: fill('e', 100, '10.05') }, brokerOrderId: 'b-1', seq: 2 } as const;
    const cancel = { kind: 'order.event', at: 3_000, clientOrderId: 'c-1', symbol: 'AAPL', from: 'filled', status: 'filled', outcome: 'ignored', eventType: 'cancel_requested', event: { type: 'cancel_requested', at: 3_000 }, brokerOrderId: 'b-1', seq: 3 } as const;
    for (const record of [created, event, cancel]) {
      const text = JSON.stringify(spelledOut(record));
      expect(plain(journalRecordFromJSON(JSON.parse(text) as JournalRecordJSON))).toEqual(plain(record));
    }
    // The spelled-out event without a broker id stays without one (the record's is not pushed into it).
    const back = journalRecordFromJSON(JSON.parse(JSON.stringify(spelledOut(cancel))) as JournalRecordJSON);
    expect(back.kind === 'order.event' && 'brokerOrderId' in back.event).toBe(false);
  });

  it('keeps what differs from the record: an event time, a broker id the event did not carry, a fill time and commission, an outcome', () => {
    const records = edgeRecords();
    for (const record of records) {
      const { text, back } = throughText(record);
      expect(plain(back)).toEqual(plain(record));
      expect(JSON.stringify(journalRecordToJSON(back))).toBe(text);
    }
    const cancel = journalRecordFromJSON(JSON.parse(JSON.stringify(journalRecordToJSON(records[1]!))) as JournalRecordJSON);
    expect(cancel.kind === 'order.event' && 'brokerOrderId' in cancel.event).toBe(false);
    expect(JSON.stringify(journalRecordToJSON(records[2]!))).toContain('"outcome":"duplicate"');
  });

  it('an order that is not its record\'s, an execution record revised later and a decision of another time are written as they are', () => {
    const order = newOrder({ clientOrderId: 'other' });
    const created: JournalRecord = { kind: 'order.created', at: 1_000, clientOrderId: 'c-1', symbol: 'AAPL', status: 'created', order, seq: 1 };
    expect((journalRecordToJSON(created) as { order: Record<string, unknown> }).order.clientOrderId).toBe('other');
    const revised = { clientOrderId: 'c-1', symbol: 'AAPL', status: 'filled', completedAt: 1_000, submittedAt: 900, submitToCompleteMs: 100, revision: 2 };
    const note: JournalRecord = { kind: 'note', at: 9_000, topic: 'execution.recorded', clientOrderId: 'c-1', symbol: 'AAPL', data: revised, seq: 2 };
    expect(journalRecordToJSON(note)).toEqual(note);
    const decision: JournalRecord = { kind: 'note', at: 9_000, topic: 'signal.decision', symbol: 'AAPL', data: { signalId: 's', symbol: 'AAPL', decidedAt: 8_000, kind: 'executed', clientOrderId: 'c-1' }, seq: 3 };
    expect(journalRecordToJSON(decision)).toEqual(decision);
    for (const record of [created, note, decision]) expect(plain(throughText(record).back)).toEqual(plain(record));
  });
});

/** A record as journals wrote it before records were compact: every key spelled out. */
function spelledOut(record: JournalRecord): unknown {
  const json = JSON.parse(JSON.stringify(record, (_key, value: unknown) => (value instanceof Decimal ? value.toString() : value))) as Record<string, unknown>;
  return json;
}

/** Records whose events differ from their record: an event time, a broker id it did not carry, a fill time and commission, an outcome, a modification. */
function edgeRecords(): JournalRecord[] {
  return [
    {
      kind: 'order.event', at: 5_000, clientOrderId: 'c-1', symbol: 'AAPL', from: 'accepted', status: 'partially_filled', outcome: 'applied', eventType: 'filled',
      event: { type: 'filled', at: 4_900, brokerOrderId: 'b-2', fill: fill('e1', 40, '10', '0.35', 4_800) }, brokerOrderId: 'b-1', seq: 7,
    },
    { kind: 'order.event', at: 6_000, clientOrderId: 'c-1', symbol: 'AAPL', from: 'partially_filled', status: 'pending_cancel', outcome: 'applied', eventType: 'cancel_requested', event: { type: 'cancel_requested', at: 6_000 }, brokerOrderId: 'b-1', reason: 'timeout', seq: 8 },
    { kind: 'order.event', at: 6_100, clientOrderId: 'c-1', symbol: 'AAPL', from: 'filled', status: 'filled', outcome: 'duplicate', eventType: 'filled', event: { type: 'filled', at: 6_100, fill: fill('e1', 40, '10', 0, 6_100) }, brokerOrderId: 'b-1', seq: 9 },
    {
      kind: 'order.event', at: 7_000, clientOrderId: 'c-1', symbol: 'AAPL', from: 'accepted', status: 'accepted', outcome: 'applied', eventType: 'modified',
      event: { type: 'modified', at: 7_000, changes: { limitPrice: new Decimal('10.10'), quantity: new Decimal(60) } }, brokerOrderId: 'b-1', seq: 10,
    },
    {
      kind: 'order.event', at: 8_000, clientOrderId: 'c-2', symbol: 'A "quoted" \\ symbol', from: 'submitted', status: 'rejected', outcome: 'applied', eventType: 'rejected',
      event: { type: 'rejected', at: 8_000, reason: 'insufficient "buying power"\n', raw: { code: 40310000, message: 'insufficient' } }, reason: 'insufficient "buying power"\n', seq: 11,
    },
    { kind: 'order.event', at: 9_000, clientOrderId: 'c-3', symbol: 'AAPL', from: 'pending_replace', status: 'replaced', outcome: 'applied', eventType: 'superseded', event: { type: 'superseded', at: 9_000, replacedBy: 'c-4' }, brokerOrderId: 'b-3', seq: 12 },
    { kind: 'order.event', at: 9_500, clientOrderId: 'c-5', symbol: 'AAPL', from: 'pending_cancel', status: 'accepted', outcome: 'applied', eventType: 'cancel_rejected', event: { type: 'cancel_rejected', reason: 'BrokerError: not cancelable now', code: 'order_not_cancelable', at: 9_500 }, brokerOrderId: 'b-5', seq: 13 },
  ];
}
