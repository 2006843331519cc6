import { BrokerError } from 'tradewire';
import { ManualClock } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../../src/server/event-stream.js';

/** A stream whose flushes run when the test says. */
function manualStream(bufferSize = 5) {
  const scheduled: (() => void)[] = [];
  const stream = new EventStream({ clock: new ManualClock(1_000), bufferSize, schedule: (flush) => void scheduled.push(flush) });
  const batches: { seq: number }[][] = [];
  stream.subscribe((frame) => void batches.push(JSON.parse(frame)));
  return { stream, scheduled, batches, seqs: () => batches.flat().map((m) => m.seq) };
}

describe('EventStream', () => {
  it('serializes nothing while nobody listens, and still keeps events for a resume', () => {
    const scheduled: (() => void)[] = [];
    const stream = new EventStream({ clock: new ManualClock(1_000), bufferSize: 5, schedule: (flush) => void scheduled.push(flush) });
    let serialized = 0;
    const payload = { toJSON: () => (serialized++, 'x') };
    stream.publish('a', 'alert', payload);
    stream.publish('a', 'alert', payload);
    expect(scheduled).toEqual([]);
    expect(serialized).toBe(0);
    expect((JSON.parse(stream.since(0)!) as { seq: number }[]).map((m) => m.seq)).toEqual([1, 2]);
    expect(serialized).toBe(2);
    stream.since(0); // kept as JSON: not serialized again
    expect(serialized).toBe(2);
  });

  it('numbers events from 1 and delivers them in one frame per flush, serialized once', () => {
    const { stream, scheduled, batches, seqs } = manualStream();
    stream.publish('a', 'pnl:updated', { daily: { toJSON: () => '1.50', toFixed: () => '1.50' } });
    stream.publish('a', 'alert', { severity: 'info', code: 'x', message: 'y' });
    expect(batches).toEqual([]); // nothing serialized on the publisher's path
    expect(scheduled).toHaveLength(1); // one flush scheduled for both
    scheduled[0]!();
    expect(seqs()).toEqual([1, 2]);
    expect(batches[0]![0]).toEqual({ type: 'event', seq: 1, at: 1_000, account: 'a', event: 'pnl:updated', data: { daily: '1.50' } });
  });

  it('replays exactly what followed a sequence number while it is kept, else answers undefined', () => {
    const { stream } = manualStream(5);
    for (let i = 0; i < 8; i++) stream.publish('a', 'alert', { i });
    const seqs = (frame: string | undefined): number[] | undefined => (frame === undefined ? undefined : (JSON.parse(frame) as { seq: number }[]).map((m) => m.seq));
    expect(seqs(stream.since(5))).toEqual([6, 7, 8]);
    expect(seqs(stream.since(3))).toEqual([4, 5, 6, 7, 8]);
    expect(stream.since(2)).toBeUndefined(); // 3 is gone
    expect(seqs(stream.since(8))).toEqual([]);
    expect(stream.since(9)).toBeUndefined(); // from the future: another session
    expect(stream.since(-1)).toBeUndefined();
  });

  it('a new sink starts exactly at the current sequence number: earlier events flushed first, none repeated', () => {
    const { stream } = manualStream();
    stream.publish('a', 'alert', { n: 1 });
    const late: number[] = [];
    stream.subscribe((frame) => (JSON.parse(frame) as { seq: number }[]).forEach((x) => late.push(x.seq)));
    stream.publish('a', 'alert', { n: 2 });
    stream.flush();
    expect(late).toEqual([2]);
  });

  it('turns errors into name, code and message, never a stack or a raw body', () => {
    const { stream, batches } = manualStream();
    const error = new BrokerError('insufficient_buying_power', 'broker said no', { body: 'secret raw body', status: 403 });
    stream.publish('a', 'order:retry', { attempt: 2, error });
    stream.flush();
    expect((batches[0]![0] as unknown as { data: unknown }).data).toEqual({ attempt: 2, error: { name: 'BrokerError', code: 'insufficient_buying_power', message: 'broker said no' } });
  });
  it('keeps nothing nobody could resume from: past a buffer of events with no client since the last left, events are dropped until one connects', () => {
    const scheduled: (() => void)[] = [];
    const stream = new EventStream({ clock: new ManualClock(1_000), bufferSize: 3, schedule: (flush) => void scheduled.push(flush) });
    const seqs = (frame: string | undefined): number[] | undefined => (frame === undefined ? undefined : (JSON.parse(frame) as { seq: number }[]).map((m) => m.seq));
    let serialized = 0;
    const payload = { toJSON: () => (serialized++, 'x') };
    // Nobody has connected: the first buffer's worth is kept (a resume from 0 still works) …
    for (let i = 0; i < 3; i++) stream.publish('a', 'alert', payload);
    expect(seqs(stream.since(0))).toEqual([1, 2, 3]);
    // … and what follows is numbered but not kept.
    for (let i = 0; i < 3; i++) stream.publish('a', 'alert', payload);
    expect(stream.since(0)).toBeUndefined();
    expect(stream.since(4)).toBeUndefined(); // 5 and 6 were never kept: a snapshot, not a hole
    expect(seqs(stream.since(6))).toEqual([]);
    expect(serialized).toBe(3);

    // A client connects: everything is kept again, and it can resume from where it started.
    const off = stream.subscribe(() => undefined);
    stream.publish('a', 'alert', payload);
    stream.publish('a', 'alert', payload);
    expect(seqs(stream.since(6))).toEqual([7, 8]);
    expect(stream.since(5)).toBeUndefined();
    // It leaves at 8: the next buffer's worth is kept for its resume …
    off();
    for (let i = 0; i < 3; i++) stream.publish('a', 'alert', payload);
    expect(seqs(stream.since(8))).toEqual([9, 10, 11]);
    // … and beyond it a resume from 8 could not be answered anyway: not kept.
    stream.publish('a', 'alert', payload);
    expect(stream.since(8)).toBeUndefined();
    expect(stream.since(11)).toBeUndefined();
    expect(seqs(stream.since(12))).toEqual([]);
    expect(stream.seq).toBe(12);
  });
});
