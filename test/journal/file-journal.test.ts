import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, FileJournal, type JournalEntry, type Logger, OrderLifecycleManager } from 'tradewire';
import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fill, newOrder } from '../helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tw-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => undefined, info: () => undefined, error: () => undefined, warn: (m) => warnings.push(m) };
}

const entries = (): JournalEntry[] => {
  const order = newOrder({ type: 'limit', limitPrice: '10.05' });
  return [
    { kind: 'order.created', at: 1, clientOrderId: order.clientOrderId, symbol: 'AAPL', status: 'created', order },
    { kind: 'order.event', at: 2, clientOrderId: order.clientOrderId, symbol: 'AAPL', from: 'accepted', status: 'partially_filled', outcome: 'applied', eventType: 'filled', event: { type: 'filled', at: 2, fill: fill('e1', 40, '10.05') } },
    { kind: 'order.event', at: 3, clientOrderId: order.clientOrderId, symbol: 'AAPL', from: 'partially_filled', status: 'filled', outcome: 'applied', eventType: 'filled', event: { type: 'filled', at: 3, fill: fill('e2', 60, '10.04') } },
  ];
};

describe('FileJournal', () => {
  it('persists every record and reads them back, decimals intact, sequence continuing', () => {
    const path = join(dir, 'j.jsonl');
    const first = new FileJournal({ path });
    for (const e of entries()) first.append(e);
    first.close();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);

    const reopened = new FileJournal({ path });
    expect(reopened.recovery).toEqual({ records: 3, tornTail: false, corruptLines: [] });
    const [created, , last] = reopened.query({ clientOrderId: 'c-1' });
    expect(created?.kind === 'order.created' && created.order.limitPrice).toBeInstanceOf(Decimal);
    expect(last?.kind === 'order.event' && last.event.type === 'filled' && last.event.fill.price.toString()).toBe('10.04');
    expect(reopened.query({ status: 'filled' }).map((r) => r.seq)).toEqual([3]);
    expect(reopened.append({ kind: 'note', at: 4, topic: 'after restart' }).seq).toBe(4);
    reopened.close();
  });

  it('a torn last line is skipped with a warning and cut off; earlier records are all kept', () => {
    const path = join(dir, 'j.jsonl');
    const journal = new FileJournal({ path });
    for (const e of entries()) journal.append(e);
    journal.close();
    // A crash in the middle of writing a fourth record.
    appendFileSync(path, '{"kind":"order.event","at":4,"clientOrderId":"c-1","sym');
    const logger = capture();
    const reopened = new FileJournal({ path, logger });
    expect(reopened.recovery).toEqual({ records: 3, tornTail: true, corruptLines: [] });
    expect(logger.warnings.join()).toMatch(/cut short/);
    // The next record starts on a clean line.
    reopened.append({ kind: 'note', at: 5, topic: 'resumed' });
    reopened.close();
    const again = new FileJournal({ path, logger: capture() });
    expect(again.recovery).toEqual({ records: 4, tornTail: false, corruptLines: [] });
    expect(again.query({ kinds: ['note'] })[0]).toMatchObject({ topic: 'resumed', seq: 4 });
    again.close();
  });

  it('a corrupt line in the middle is skipped with a warning, never a crash', () => {
    const path = join(dir, 'j.jsonl');
    const [a, b] = entries();
    writeFileSync(path, `${JSON.stringify({ ...a, order: undefined })}\nnot json at all\n`);
    const logger = capture();
    const journal = new FileJournal({ path, logger });
    expect(journal.recovery.corruptLines).toEqual([1, 2]);
    expect(logger.warnings).toHaveLength(2);
    journal.append(b!);
    expect(journal.size).toBe(1);
    journal.close();
  });

  it('backs the lifecycle: the order is on disk before the broker sees it', async () => {
    const path = join(dir, 'orders.jsonl');
    const clock = new ManualClock();
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '10');
    const journal = new FileJournal({ path });
    const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), journal });
    lifecycle.start();
    let onDisk = '';
    const send = broker.submitOrder.bind(broker);
    broker.submitOrder = (o) => {
      onDisk = readFileSync(path, 'utf8');
      return send(o);
    };
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 5 });
    expect(onDisk).toContain(`"clientOrderId":"${order.clientOrderId}"`);
    expect(onDisk).toContain('"kind":"order.created"');
    journal.close();
    const reread = new FileJournal({ path });
    expect(reread.query({ clientOrderId: order.clientOrderId }).map((r) => r.kind === 'order.event' && r.status).filter(Boolean)).toEqual(['validated', 'submitted', 'accepted', 'filled']);
    reread.close();
  });
});

describe('FileJournal durability modes', () => {
  it('before-send: records are written at once and fsync happens at sync(); every-record and os behave as named', () => {
    const modes = ['before-send', 'every-record', 'os'] as const;
    for (const sync of modes) {
      const path = join(dir, `${sync}.jsonl`);
      const journal = new FileJournal({ path, sync });
      for (const e of entries()) journal.append(e);
      // Written to the file immediately in every mode: a killed process loses nothing.
      expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(3);
      journal.sync();
      journal.close();
      expect(new FileJournal({ path }).recovery.records).toBe(3);
    }
  });
});
