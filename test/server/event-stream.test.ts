import { ManualClock } from 'tradewire/testing';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../../src/server/event-stream.js';

/** A stream whose flushes run when the test says. */
function manualStream(bufferSize = 5) {
  const scheduled: (() => void)[] = [];
  const stream = new EventStream({ clock: new ManualClock(1_000), bufferSize, schedule: (flush) => void scheduled.push(flush) });
  const batches: string[][] = [];
  stream.subscribe((m) => void batches.push([...m]));
  return { stream, scheduled, batches, seqs: () => batches.flat().map((m) => (JSON.parse(m) as { seq: number }).seq) };
}

describe('EventStream', () => {
  it('numbers events from 1 and delivers them in one batch per flush, serialized once', () => {
    const { stream, scheduled, batches, seqs } = manualStream();
    stream.publish('a', 'pnl:updated', { daily: { toJSON: () => '1.50', toFixed: () => '1.50' } });
    stream.publish('a', 'alert', { severity: 'info', code: 'x', message: 'y' });
    expect(batches).toEqual([]); // nothing serialized on the publisher's path
    expect(scheduled).toHaveLength(1); // one flush scheduled for both
    scheduled[0]!();
    expect(seqs()).toEqual([1, 2]);
    expect(JSON.parse(batches[0]![0]!)).toEqual({ type: 'event', seq: 1, at: 1_000, account: 'a', event: 'pnl:updated', data: { daily: '1.50' } });
  });

  it('replays exactly what followed a sequence number while it is kept, else answers undefined', () => {
    const { stream } = manualStream(5);
    for (let i = 0; i < 8; i++) stream.publish('a', 'alert', { i });
    expect(stream.since(5)!.map((m) => JSON.parse(m).seq)).toEqual([6, 7, 8]);
    expect(stream.since(3)!.map((m) => JSON.parse(m).seq)).toEqual([4, 5, 6, 7, 8]);
    expect(stream.since(2)).toBeUndefined(); // 3 is gone
    expect(stream.since(8)).toEqual([]);
    expect(stream.since(9)).toBeUndefined(); // from the future: another session
    expect(stream.since(-1)).toBeUndefined();
  });

  it('a new sink starts exactly at the current sequence number: earlier events flushed first, none repeated', () => {
    const { stream } = manualStream();
    stream.publish('a', 'alert', { n: 1 });
    const late: number[] = [];
    stream.subscribe((m) => m.forEach((x) => late.push(JSON.parse(x).seq)));
    stream.publish('a', 'alert', { n: 2 });
    stream.flush();
    expect(late).toEqual([2]);
  });

  it('turns errors into name, code and message, never a stack', () => {
    const { stream, batches } = manualStream();
    const error = Object.assign(new Error('broker said no'), { code: 'insufficient_funds', body: 'secret raw body' });
    stream.publish('a', 'order:retry', { attempt: 2, error });
    stream.flush();
    expect(JSON.parse(batches[0]![0]!).data).toEqual({ attempt: 2, error: { name: 'Error', code: 'insufficient_funds', message: 'broker said no' } });
  });
});
