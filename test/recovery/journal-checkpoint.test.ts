import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineConfig, ExecutionEngine, FileJournal, journalFileStore, type MarketState, type Signal, silentLogger } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds, settle } from 'tradewire/testing';
import { encodeNotes } from '../../src/journal/notes-summary.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-checkpoint-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const flush = async (): Promise<void> => {
  await settle(5);
};

describe('FileJournal segments', () => {
  it('a checkpoint starts a new segment with the snapshot; the old one is archived; reopening reads only the new one; history() reads all', () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path, sync: 'os' });
    for (let i = 0; i < 10; i++) journal.append({ kind: 'note', at: i, topic: 'old', data: { i } });
    journal.checkpoint([{ kind: 'note', at: 10, topic: 'state', data: { carried: true } }], 10);
    journal.append({ kind: 'note', at: 11, topic: 'new' });
    expect(journal.sinceCheckpoint).toBe(3); // the marker, the snapshot, one new record
    journal.close();

    expect(existsSync(`${path}.000001`)).toBe(true);
    expect(readFileSync(`${path}.000001`, 'utf8').trim().split('\n')).toHaveLength(10);
    const reopened = new FileJournal({ path, sync: 'os' });
    expect(reopened.recovery.records).toBe(3);
    expect(reopened.query().map((r) => (r.kind === 'note' ? r.topic : r.kind))).toEqual(['journal.checkpoint', 'state', 'new']);
    expect(reopened.query().map((r) => r.seq)).toEqual([11, 12, 13]); // numbering continues across segments
    expect(reopened.history({ topic: 'old' })).toHaveLength(10);
    expect(reopened.history().map((r) => r.seq)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    expect(reopened.append({ kind: 'note', at: 12, topic: 'after' }).seq).toBe(14);
    reopened.close();
  });

  it('a checkpoint while an fdatasync is in flight: the waiting sync still resolves, nothing is lost', async () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path });
    journal.append({ kind: 'note', at: 1, topic: 'waiting' });
    const durable = journal.sync()!;
    journal.append({ kind: 'note', at: 2, topic: 'queued' });
    const queued = journal.sync()!;
    journal.checkpoint([{ kind: 'note', at: 3, topic: 'state' }], 3);
    await Promise.all([durable, queued]);
    journal.append({ kind: 'note', at: 4, topic: 'after' });
    await journal.sync();
    journal.close();
    expect(new FileJournal({ path }).history().map((r) => (r.kind === 'note' ? r.topic : r.kind))).toEqual(['waiting', 'queued', 'journal.checkpoint', 'state', 'after']);
  });

  it('a crash in the middle of a checkpoint leaves the journal it was made from: the unfinished segment is dropped', () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path, sync: 'os' });
    for (let i = 0; i < 5; i++) journal.append({ kind: 'note', at: i, topic: 'kept' });
    journal.close();
    // The segment was being written (or was written) but not yet put in place.
    writeFileSync(`${path}.checkpoint-tmp`, '{"kind":"note","at":5,"topic":"journal.checkpoint","seq":6}\n{"kind":"no');
    const reopened = new FileJournal({ path, sync: 'os' });
    expect(reopened.recovery.records).toBe(5);
    expect(existsSync(`${path}.checkpoint-tmp`)).toBe(false);
    reopened.close();
  });
});

describe('engine checkpoints: a restart reads the checkpoint and its tail, and ends where a full replay would', () => {
  const config: EngineConfig = {
    sizing: { method: 'fixed_quantity', quantity: 10 },
    recovery: { reconcileIntervalMs: 0, checkpointEveryRecords: 0 },
    orderManagement: { orderTimeoutMs: null },
    marketHours: { queueWhenClosed: true },
    checks: { market_open: true },
  };
  let n = 0;
  const signal = (clock: ManualClock, s: Partial<Signal>): Signal => ({ id: `c-${++n}`, symbol: 'AAPL', side: 'buy', strength: 90, time: clock.now(), strategyId: 's', ...s });

  async function history(path: string, checkpointAt: number | undefined) {
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock, commission: { perUnit: '0.01', minimum: '1' } });
    for (const [s, p] of [['AAPL', '100'], ['MSFT', '300'], ['NVDA', '50']] as const) broker.setPrice(s, p);
    let open = true;
    const market: MarketState = { isMarketOpen: () => open };
    const boot = (start: number): ExecutionEngine => new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(start), logger: silentLogger, market, journal: new FileJournal({ path, sync: 'os', logger: silentLogger }), config });
    const engine = boot(1);
    await engine.start();
    for (const [s, p] of [['AAPL', '100'], ['MSFT', '300'], ['NVDA', '50']] as const) engine.updatePrice(s, p);
    const steps: (() => Promise<unknown>)[] = [
      () => engine.executeSignal(signal(clock, { symbol: 'AAPL' })), // open AAPL 10
      () => engine.executeSignal(signal(clock, { symbol: 'MSFT' })), // open MSFT 10
      () => engine.executeSignal(signal(clock, { symbol: 'AAPL', side: 'sell', expectedPrice: '101' })), // close AAPL: realized
      () => engine.executeSignal(signal(clock, { symbol: 'NVDA', strength: 5 })), // refused: too weak
      () => engine.orders.submit({ symbol: 'NVDA', side: 'buy', quantity: 4, type: 'limit', limitPrice: '45', timeInForce: 'gtc' }, { timeoutMs: null }), // rests
      async () => {
        open = false;
        return engine.executeSignal(signal(clock, { symbol: 'AAPL' })); // queued: market closed
      },
      async () => engine.reduceOnly('operator: exits only'),
      async () => {
        open = true;
        broker.setPrice('MSFT', '310');
        engine.updatePrice('MSFT', '310');
        return engine.executeSignal(signal(clock, { symbol: 'MSFT', side: 'sell', exitFraction: '0.5' })); // half of MSFT out
      },
    ];
    const decided: string[] = [];
    for (let i = 0; i < steps.length; i++) {
      if (i === checkpointAt) expect(engine.checkpoint()).toBe(true);
      const result = (await steps[i]!()) as { kind?: string; signal?: { id: string } } | undefined;
      if (result?.signal) decided.push(result.signal.id);
    }
    await engine.stop(); // the process dies
    broker.setPrice('NVDA', '44'); // the resting order fills while nobody listens

    const restarted = boot(1_000);
    await restarted.start();
    const report = await restarted.recover();
    const journal = (restarted as unknown as { journal: FileJournal }).journal;
    return {
      readRecords: journal.size,
      positions: restarted.positions.openPositions().map((p) => `${p.symbol} ${p.side} ${p.quantity.toString()} @ ${p.averageEntryPrice.toString()}`).sort(),
      realizedTotal: restarted.pnl().realizedTotal.toString(),
      tradingState: restarted.tradingState,
      queued: restarted.queuedSignals().map((q) => q.signal.id),
      decisions: decided.map((id) => restarted.decisionFor(id)?.kind),
      mismatches: report.positionMismatches.length,
      changed: report.changedWhileDown.map((c) => `${c.to} ${c.filledWhileDown.toString()}`),
      brokerPositions: broker.positionReports().map((p) => `${p.symbol} ${p.quantity.toString()}`).sort(),
    };
  }

  it('the same positions, P&L, orders, decisions, queue and trading state as a restart that replays everything', async () => {
    const full = await history(join(dir, 'full.jsonl'), undefined);
    n = 0;
    for (const at of [3, 6]) {
      const path = join(dir, `cp-${at}.jsonl`);
      const compacted = await history(path, at);
      n = 0;
      expect({ ...compacted, readRecords: 0 }).toEqual({ ...full, readRecords: 0 });
      expect(compacted.readRecords).toBeLessThan(full.readRecords);
      expect(existsSync(`${path}.000001`)).toBe(true);
    }
    expect(full.positions).toEqual(['MSFT long 5 @ 300', 'NVDA long 4 @ 44']);
    expect(full.tradingState).toBe('REDUCING');
    expect(full.mismatches).toBe(0);
    expect(full.changed).toEqual(['filled 4']);
  });

  it('a position the checkpoint left pending on an entry that ended after it is not pending after the restart — it waited for good on the entry long cancelled', async () => {
    const path = join(dir, 'pending.jsonl');
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '101'); // above the entry's limit: it rests
    const boot = (start: number): ExecutionEngine =>
      new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(start), logger: silentLogger, journal: new FileJournal({ path, sync: 'os', logger: silentLogger }), config: { ...config, orderManagement: { orderTimeoutMs: null, entryOrderType: 'limit' } } });
    const engine = boot(1);
    await engine.start();
    engine.updatePrice('AAPL', '100');
    await engine.executeSignal(signal(clock, { symbol: 'AAPL', expectedPrice: '100' }));
    await flush();
    const entry = engine.orders.orderList().find((o) => o.symbol === 'AAPL')!;
    expect([entry.status, engine.positions.get('AAPL')?.state]).toEqual(['accepted', 'PENDING_ENTRY']);
    expect(engine.checkpoint()).toBe(true);
    await engine.orders.cancel(entry.clientOrderId);
    await flush();
    expect(engine.positions.get('AAPL')).toBeUndefined();
    await engine.stop(); // the process dies

    const restarted = boot(1_000);
    await restarted.start();
    await restarted.recover();
    expect(restarted.orders.get(entry.clientOrderId)?.status).toBe('cancelled');
    expect(restarted.positions.get('AAPL')).toBeUndefined();
    expect(restarted.positions.openPositions()).toEqual([]);
    await restarted.stop();
  });

  it('checkpoints by themselves every checkpointEveryRecords, checked on the clock', async () => {
    const path = join(dir, 'auto.jsonl');
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '100');
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal: new FileJournal({ path, sync: 'os', logger: silentLogger }), config: { ...config, checks: {}, recovery: { reconcileIntervalMs: 0, checkpointEveryRecords: 20, checkpointCheckMs: 1_000 } } });
    await engine.start();
    engine.updatePrice('AAPL', '100');
    for (let i = 0; i < 6; i++) await engine.executeSignal(signal(clock, { side: i % 2 ? 'sell' : 'buy' }));
    expect(existsSync(`${path}.000001`)).toBe(false);
    clock.advance(1_000);
    await flush();
    expect(existsSync(`${path}.000001`)).toBe(true);
    await engine.stop();
  });
});

/**
 * An engine on a `FileJournal` (checkpoints only when asked), trading AAPL a minute apart: each
 * `trade()` is one signal — buy, then sell, and so on — that fills at once, strategy `name`.
 */
async function tradingOnFile(name: string): Promise<{ journal: FileJournal; engine: ExecutionEngine; trade: () => Promise<void>; segments: (count: number, trades: number) => Promise<void> }> {
  const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
  const broker = new MockBroker({ clock });
  broker.setPrice('AAPL', '100');
  const journal = new FileJournal({ path: join(dir, 'orders.jsonl'), sync: 'os', logger: silentLogger });
  const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0, checkpointEveryRecords: 0 }, orderManagement: { orderTimeoutMs: null } } });
  await engine.start();
  engine.updatePrice('AAPL', '100');
  let n = 0;
  const trade = async (): Promise<void> => {
    clock.advance(60_000);
    await engine.executeSignal({ id: `${name}-${n}`, symbol: 'AAPL', side: n++ % 2 ? 'sell' : 'buy', strength: 90, time: clock.now(), strategyId: name });
  };
  /** `count` archived segments of `trades` signals each (a checkpoint after each). */
  const segments = async (count: number, trades: number): Promise<void> => {
    for (let segment = 0; segment < count; segment++) {
      for (let i = 0; i < trades; i++) await trade();
      expect(engine.checkpoint()).toBe(true);
    }
  };
  return { journal, engine, trade, segments };
}

describe('order history across segments (FileJournal.orders)', () => {
  it('finds orders by time, symbol, strategy and status across every segment, a page at a time; an order carried over a checkpoint has its last state', async () => {
    const path = join(dir, 'orders.jsonl');
    const clock = new ManualClock(Date.UTC(2026, 10, 30, 15));
    const broker = new MockBroker({ clock });
    for (const s of ['AAPL', 'MSFT']) broker.setPrice(s, '100');
    const journal = new FileJournal({ path, sync: 'os', logger: silentLogger });
    const engine = new ExecutionEngine({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger, journal, config: { sizing: { method: 'fixed_quantity', quantity: 10 }, recovery: { reconcileIntervalMs: 0, checkpointEveryRecords: 0 }, orderManagement: { orderTimeoutMs: null } } });
    await engine.start();
    for (const s of ['AAPL', 'MSFT']) engine.updatePrice(s, '100');
    // A resting order that lives through two checkpoints and fills at the end.
    const resting = await engine.orders.submit({ symbol: 'MSFT', side: 'buy', quantity: 3, type: 'limit', limitPrice: '95', timeInForce: 'gtc', strategyId: 'rest' }, { timeoutMs: null });
    const startedAt = clock.now();
    for (let i = 0; i < 30; i++) {
      clock.advance(60_000);
      await engine.executeSignal({ id: `h-${i}`, symbol: i % 3 ? 'AAPL' : 'MSFT', side: Math.floor(i / 2) % 2 ? 'sell' : 'buy', strength: 90, time: clock.now(), strategyId: i % 2 ? 'odd' : 'even' });
      if (i === 9 || i === 19) expect(engine.checkpoint()).toBe(true);
    }
    broker.setPrice('MSFT', '94');
    await flush();
    expect(journal.archives()).toHaveLength(2);

    const all = journal.orders({ limit: 1_000 });
    expect(all.length).toBeGreaterThan(10);
    expect(all.find((o) => o.clientOrderId === resting.clientOrderId)).toMatchObject({ status: 'filled', filledQuantity: '3', strategyId: 'rest' });
    // A time range (minutes 5 to 14 of the run), one symbol, one strategy, one status.
    const window = journal.orders({ from: startedAt + 5 * 60_000, to: startedAt + 14 * 60_000 });
    expect(window.every((o) => o.createdAt >= startedAt + 5 * 60_000 && o.createdAt <= startedAt + 14 * 60_000)).toBe(true);
    expect(window.length).toBeGreaterThan(0);
    expect(journal.orders({ symbol: 'MSFT' }).every((o) => o.symbol === 'MSFT')).toBe(true);
    expect(journal.orders({ strategyId: 'odd' }).every((o) => o.strategyId === 'odd')).toBe(true);
    expect(journal.orders({ status: 'filled' }).length).toBe(all.filter((o) => o.status === 'filled').length);
    // Paging: pages of 7 add up to the whole, in order, without repeats.
    const pages: string[] = [];
    let page = journal.orders({ limit: 7 });
    while (page.length > 0) {
      pages.push(...page.map((o) => o.clientOrderId));
      page = journal.orders({ limit: 7, after: page.at(-1)! });
    }
    expect(pages).toEqual(all.map((o) => o.clientOrderId));
    // The first page holds the resting order, working at both checkpoints: in its last state, not the one its archive left.
    expect(journal.orders({ limit: 7 }).find((o) => o.clientOrderId === resting.clientOrderId)).toMatchObject({ status: 'filled', filledQuantity: '3' });
    // Each archived segment was summarized at its checkpoint, into sidecars.
    for (const archive of journal.archives()) expect(existsSync(`${archive}.orders.columns`) && existsSync(`${archive}.orders-meta.json`) && existsSync(`${archive}.fills.columns`)).toBe(true);

    // Fills across the segments, joined with their orders, each execution once.
    const fills = journal.fills({ limit: 1_000 });
    const filledQuantity = all.reduce((sum, o) => sum + Number(o.filledQuantity), 0);
    expect(fills.reduce((sum, f) => sum + Number(f.quantity), 0)).toBe(filledQuantity);
    expect(new Set(fills.map((f) => f.executionId)).size).toBe(fills.length);
    expect(fills.filter((f) => f.clientOrderId === resting.clientOrderId)).toEqual([expect.objectContaining({ symbol: 'MSFT', side: 'buy', quantity: '3', strategyId: 'rest' })]);
    expect(journal.fills({ symbol: 'AAPL' }).every((f) => f.symbol === 'AAPL')).toBe(true);
    const first = journal.fills({ limit: 5 });
    expect(journal.fills({ limit: 5, after: first.at(-1)! })[0]?.executionId).toBe(fills[5]?.executionId);

    // Closed positions and alerts, across the segments.
    engine.halt({ reason: 'operator: end of test', cancelOpen: false });
    const closed = journal.notes({ topic: 'position.closed' });
    const currentStart = journal.query()[0]!.seq;
    expect(closed.some((r) => r.seq < currentStart)).toBe(true); // from an archived segment
    expect(closed.every((r) => r.kind === 'note' && typeof (r.data as { realizedPnl?: unknown }).realizedPnl === 'string')).toBe(true);
    const data = (r: (typeof closed)[number] | undefined): unknown => (r?.kind === 'note' ? r.data : undefined);
    expect(data(closed[0])).toMatchObject({ side: 'long', maxQuantity: '10' });
    expect(journal.notes({ topic: 'alert' }).map((r) => (data(r) as { code: string }).code)).toContain('trading_halted');
    expect(journal.notes({ topic: 'account.snapshot' }).length).toBeGreaterThan(0);
    for (const archive of journal.archives()) expect(existsSync(`${archive}.notes.json`)).toBe(true);

    // A time range skips every segment whose notes (or fills) all fall outside it — its meta has
    // their span — without reading its summary: the first archive's summaries, made unreadable,
    // are never opened by a query for later times (they stay as they are), and are by one without
    // a range — which finds them damaged and rebuilds them from the archive.
    const [firstArchive] = journal.archives();
    const meta = JSON.parse(readFileSync(`${firstArchive}.orders-meta.json`, 'utf8')) as { notes: { count: number; to: number }; fills: { count: number; to: number } };
    expect(meta.notes.count).toBeGreaterThan(0);
    expect(meta.fills.count).toBeGreaterThan(0);
    const notesAfter = journal.notes({}).filter((r) => r.at > meta.notes.to);
    const fillsAfter = journal.fills({ limit: 1_000 }).filter((f) => f.time > meta.fills.to);
    expect(notesAfter.length).toBeGreaterThan(0);
    expect(fillsAfter.length).toBeGreaterThan(0);
    const allNotes = journal.notes({});
    const allFills = journal.fills({ limit: 1_000 });
    writeFileSync(`${firstArchive}.notes.json`, 'unreadable');
    writeFileSync(`${firstArchive}.fills.columns`, 'unreadable');
    expect(journal.notes({ from: meta.notes.to + 1 })).toEqual(notesAfter);
    expect(journal.fills({ from: meta.fills.to + 1, limit: 1_000 })).toEqual(fillsAfter);
    expect(readFileSync(`${firstArchive}.notes.json`, 'utf8')).toBe('unreadable');
    expect(readFileSync(`${firstArchive}.fills.columns`, 'utf8')).toBe('unreadable');
    expect(journal.notes({})).toEqual(allNotes);
    expect(journal.fills({ limit: 1_000 })).toEqual(allFills);
    expect(readFileSync(`${firstArchive}.notes.json`, 'utf8')).not.toBe('unreadable');
    expect(readFileSync(`${firstArchive}.fills.columns`, 'utf8')).not.toBe('unreadable');
    await engine.stop();
  });

  it('a halt that asked to flatten is carried by the checkpoint as such: a restart from it still finishes the flatten', async () => {
    const { journal, engine, trade } = await tradingOnFile('h');
    for (let i = 0; i < 2; i++) await trade();
    await engine.halt({ reason: 'risk desk', flatten: true });
    expect(engine.checkpoint()).toBe(true);
    await engine.stop();
    const notes = journal.query({ topic: 'engine.trading_state' });
    expect(notes.at(-1)).toMatchObject({ kind: 'note', data: { state: 'HALTED', reason: 'risk desk', flatten: true } });
  });

  it('reads an archive summarized by an earlier version (orders as JSON rows, fills as JSON) and rewrites it as columns, once', async () => {
    const { journal, engine, trade } = await tradingOnFile('m');
    for (let i = 0; i < 6; i++) await trade();
    expect(engine.checkpoint()).toBe(true);
    await engine.stop();
    const before = journal.orders();
    expect(before).toHaveLength(6);
    const fillsBefore = journal.fills();
    expect(fillsBefore).toHaveLength(6);
    // The archive as an earlier version left it: its orders as rows of the old columns, no columnar file.
    const [archive] = journal.archives();
    const columns = ['clientOrderId', 'brokerOrderId', 'symbol', 'side', 'type', 'status', 'quantity', 'filledQuantity', 'averageFillPrice', 'limitPrice', 'stopPrice', 'strategyId', 'signalId', 'createdAt', 'updatedAt'];
    writeFileSync(`${archive}.orders.json`, JSON.stringify(before.map((o) => columns.map((c) => (o as unknown as Record<string, unknown>)[c] ?? null))));
    unlinkSync(`${archive}.orders.columns`);
    writeFileSync(`${archive}.fills.json`, JSON.stringify(fillsBefore));
    unlinkSync(`${archive}.fills.columns`);
    expect(journal.orders()).toEqual(before);
    expect(journal.fills()).toEqual(fillsBefore);
    expect(existsSync(`${archive}.orders.columns`) && existsSync(`${archive}.fills.columns`)).toBe(true);
    expect(existsSync(`${archive}.orders.json`) || existsSync(`${archive}.fills.json`)).toBe(false);
    expect(journal.orders({ strategyId: 'm', status: 'filled' })).toEqual(before);
    // A summary deleted by hand (as docs/operations.md allows) is made again from the archive.
    unlinkSync(`${archive}.orders.columns`);
    expect(journal.orders()).toEqual(before);
  });

  it('reads a page only as far as it needs: a page whole in the first archive does not open the later ones; a new record is seen by the next query', async () => {
    const { journal, engine, trade, segments } = await tradingOnFile('p');
    await segments(3, 6);
    await trade();
    const all = journal.orders();
    const fills = journal.fills();
    expect(all).toHaveLength(19);
    const [first, second, third] = journal.archives();
    // The later archives' tables made unreadable: a page of 4 (all in the first archive) never opens them.
    for (const archive of [second!, third!]) {
      writeFileSync(`${archive}.orders.columns`, 'unreadable');
      writeFileSync(`${archive}.fills.columns`, 'unreadable');
    }
    const untouched = (archive: string, kind: 'orders' | 'fills'): boolean => readFileSync(`${archive}.${kind}.columns`, 'utf8') === 'unreadable';
    expect(journal.orders({ limit: 4 })).toEqual(all.slice(0, 4));
    expect(journal.fills({ limit: 4 })).toEqual(fills.slice(0, 4));
    for (const archive of [second!, third!]) expect(untouched(archive, 'orders') && untouched(archive, 'fills')).toBe(true);
    // A page past the first archive needs the second — found damaged, so rebuilt from the archive — and not the third.
    expect(journal.orders({ limit: 4, after: all[5]! })).toEqual(all.slice(6, 10));
    expect(journal.fills({ limit: 10 })).toEqual(fills.slice(0, 10));
    expect(untouched(second!, 'orders') || untouched(second!, 'fills')).toBe(false);
    expect(untouched(third!, 'orders') && untouched(third!, 'fills')).toBe(true);
    // A page that starts after the first two archives reads neither: the third, made readable again, is enough.
    rmSync(`${third!}.orders.columns`);
    rmSync(`${third!}.fills.columns`);
    writeFileSync(`${first!}.orders.columns`, 'unreadable');
    expect(journal.orders({ after: all[12]! })).toEqual(all.slice(13));
    expect(untouched(first!, 'orders')).toBe(true);
    // The current segment is summarized once per record: a query after a new order sees it.
    await trade();
    const latest = journal.orders({ after: all[12]! });
    expect(latest).toHaveLength(7);
    expect(latest.at(-1)).toMatchObject({ signalId: 'p-19', status: 'filled' });
    await engine.stop();
  });

  it('reads only the notes a query needs: a topic skips the segments without it, a page the segments before it; an archive from before topic sections is rewritten once', async () => {
    const { journal, engine, trade } = await tradingOnFile('q');
    for (let i = 0; i < 6; i++) await trade();
    expect(engine.checkpoint()).toBe(true);
    // Only the second segment has an alert (the halt).
    for (let i = 0; i < 6; i++) await trade();
    engine.halt({ reason: 'operator: test', cancelOpen: false });
    engine.resume();
    expect(engine.checkpoint()).toBe(true);
    await trade();
    const [first, second] = journal.archives();
    const closed = journal.notes({ topic: 'position.closed' });
    const alerts = journal.notes({ topic: 'alert' });
    expect(closed.length).toBeGreaterThanOrEqual(6);
    expect(alerts.map((r) => (r.kind === 'note' ? (r.data as { code: string }).code : ''))).toContain('trading_halted');
    // The first archive has no alert: a query for alerts never opens its notes.
    writeFileSync(`${first!}.notes.json`, 'unreadable');
    const untouched = (): boolean => readFileSync(`${first!}.notes.json`, 'utf8') === 'unreadable';
    expect(journal.notes({ topic: 'alert' })).toEqual(alerts);
    expect(untouched()).toBe(true);
    // A page after the first archive's last note does not open it either; one from the start does
    // (and, finding it damaged, rebuilds it from the archive).
    const firstLastNote = (JSON.parse(readFileSync(`${first!}.orders-meta.json`, 'utf8')) as { lastNoteSeq: number }).lastNoteSeq;
    const afterFirst = journal.notes({ topic: 'position.closed', afterSeq: firstLastNote });
    expect(afterFirst.length).toBeGreaterThan(0);
    expect(afterFirst).toEqual(closed.filter((r) => r.seq > firstLastNote));
    expect(untouched()).toBe(true);
    expect(journal.notes({ topic: 'position.closed' })).toEqual(closed);
    expect(untouched()).toBe(false);

    // The second archive as an earlier version left it: its notes one JSON value, its meta without spans per topic.
    const notes = journal.segmentNotes(second!);
    writeFileSync(`${second!}.notes.json`, JSON.stringify(encodeNotes(notes as Extract<(typeof notes)[number], { kind: 'note' }>[])));
    const metaPath = `${second!}.orders-meta.json`;
    const { topics: _topics, lastNoteSeq: _last, ...oldMeta } = JSON.parse(readFileSync(metaPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(metaPath, JSON.stringify(oldMeta));
    expect(journal.notes({ topic: 'alert' })).toEqual(alerts);
    expect(readFileSync(`${second!}.notes.json`, 'utf8').startsWith('{"version":3')).toBe(true);
    expect(JSON.parse(readFileSync(metaPath, 'utf8'))).toHaveProperty('topics.alert.count', alerts.length);
    await engine.stop();
  });

  it('a damaged summary (cut short by a power loss, emptied, unreadable) is rebuilt from its archive: queries answer as before, the files come back as they were', async () => {
    const { journal, engine, trade, segments } = await tradingOnFile('d');
    await segments(2, 5);
    await trade();
    engine.halt({ reason: 'operator: test', cancelOpen: false });
    await engine.stop();
    const [first, second] = journal.archives();
    const kinds = ['orders.columns', 'fills.columns', 'notes.json', 'report.json', 'report-ids.json', 'orders-meta.json'];
    const originals = new Map([first!, second!].flatMap((archive) => kinds.map((kind) => [`${archive}.${kind}`, readFileSync(`${archive}.${kind}`, 'utf8')] as const)));
    const answers = () => ({
      orders: journal.orders(),
      fills: journal.fills(),
      notes: journal.notes({}),
      closed: journal.notes({ topic: 'position.closed' }),
      history: journal.history({ kinds: ['order.created'] }).map((r) => r.seq),
      reports: [first!, second!].map((archive) => {
        const { report, ids } = journal.segmentReport(archive);
        return { report, ids: ids() };
      }),
    });
    const before = answers();
    expect(before.orders).toHaveLength(11);
    // The first archive's summaries cut in half (a write the OS never finished), the second's emptied.
    for (const kind of kinds) {
      writeFileSync(`${first!}.${kind}`, originals.get(`${first!}.${kind}`)!.slice(0, Math.floor(originals.get(`${first!}.${kind}`)!.length / 2)));
      writeFileSync(`${second!}.${kind}`, '');
    }
    expect(answers()).toEqual(before);
    // Rebuilt as they were (the notes' file as the same notes: keys an in-memory record held as undefined are absent from the archive's JSON).
    for (const [file, text] of originals) {
      if (file.endsWith('.notes.json')) expect(readFileSync(file, 'utf8').startsWith('{"version":3')).toBe(true);
      else expect(readFileSync(file, 'utf8')).toBe(text);
    }
    // Summaries are written whole or not at all (a temporary file renamed into place): none is left behind.
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it("history(): an archive whose meta predates the records' span is read, and its meta gets the span from that read", async () => {
    const { journal, engine, segments } = await tradingOnFile('u');
    await segments(2, 3);
    await engine.stop();
    const [first] = journal.archives();
    const metaPath = `${first!}.orders-meta.json`;
    const { records: span, ...older } = JSON.parse(readFileSync(metaPath, 'utf8')) as { records: { from: number; to: number; lastSeq: number } };
    writeFileSync(metaPath, JSON.stringify(older)); // as an earlier version wrote it
    const all = journal.history({ kinds: ['order.created'] });
    expect(journal.history({ kinds: ['order.created'], from: span.from, to: span.to })).toEqual(all.filter((r) => r.at >= span.from && r.at <= span.to));
    expect(JSON.parse(readFileSync(metaPath, 'utf8')).records).toEqual(span);
    // A read cut short by a limit does not write a span it has not seen whole.
    writeFileSync(metaPath, JSON.stringify(older));
    journal.history({ from: span.from, limit: 1 });
    expect(JSON.parse(readFileSync(metaPath, 'utf8')).records).toBeUndefined();
  });

  it('history() reads only the archives a time range or a page reaches', async () => {
    const { journal, engine, trade, segments } = await tradingOnFile('h');
    await segments(3, 4);
    await trade();
    await engine.stop();
    const [first, second] = journal.archives();
    const created = journal.history({ kinds: ['order.created'] });
    const meta = (archive: string): { records: { from: number; to: number; lastSeq: number } } => JSON.parse(readFileSync(`${archive}.orders-meta.json`, 'utf8'));
    const { from, to } = meta(second!).records;
    // A record planted in the first archive after its meta was written: read only if the first archive is.
    appendFileSync(first!, `${JSON.stringify({ kind: 'note', at: from + 1, topic: 'planted', data: {}, seq: 1 })}\n`);
    const inSecond = journal.history({ kinds: ['order.created'], from: from + 1, to });
    expect(inSecond.length).toBeGreaterThan(0);
    expect(inSecond).toEqual(created.filter((r) => r.at >= from + 1 && r.at <= to));
    expect(journal.history({ topic: 'planted', from: from + 1, to })).toEqual([]);
    expect(journal.history({ topic: 'planted', afterSeq: meta(first!).records.lastSeq })).toEqual([]);
    // Without a range every archive is read.
    expect(journal.history({ topic: 'planted' })).toHaveLength(1);
    // The audit's record store (the CLI's) passes over the same archives.
    const audited = async (filter: Parameters<ReturnType<typeof journalFileStore>['records']>[0]): Promise<number> => {
      let n = 0;
      for await (const _ of journalFileStore(join(dir, 'orders.jsonl')).records(filter)) n++;
      return n;
    };
    expect(await audited({ topic: 'planted', from: from + 1, to })).toBe(0);
    expect(await audited({ topic: 'planted' })).toBe(1);
    expect(await audited({ kinds: ['order.created'], from: from + 1, to })).toBe(inSecond.length);
  });
});
