import { describe, expect, it } from 'vitest';
import type { JournalRecord } from 'tradewire';
import { SEND_ATTEMPT_TOPIC, SEND_FAILED_TOPIC, sendsThatMayLand } from '../../src/journal/send-notes.js';

let seq = 0;
const attempt = (id: string): JournalRecord => ({ kind: 'note', at: 0, topic: SEND_ATTEMPT_TOPIC, clientOrderId: id, data: { attempt: 1 }, seq: ++seq });
const failed = (id: string, code: string, reached?: true): JournalRecord => ({ kind: 'note', at: 0, topic: SEND_FAILED_TOPIC, clientOrderId: id, data: { attempt: 1, code, category: 'X', message: code, ...(reached ? { reached } : {}) }, seq: ++seq });

describe('sendsThatMayLand: which orders sent before a restart may still be processed by the broker', () => {
  it('an attempt with no answer, or one that failed on the way, may land; attempts that were all refused outright cannot', () => {
    const records = [
      attempt('in-flight'),
      attempt('timed-out'),
      failed('timed-out', 'timeout', true),
      attempt('limited'),
      failed('limited', 'rate_limited'),
      attempt('limited-then-lost'),
      failed('limited-then-lost', 'rate_limited'),
      attempt('limited-then-lost'),
      failed('limited-then-lost', 'server_error', true),
      attempt('lost-then-limited'),
      failed('lost-then-limited', 'timeout', true),
      attempt('lost-then-limited'),
      failed('lost-then-limited', 'rate_limited'),
      // Written before the note said `reached`: a timeout or a connection lost may have delivered it.
      attempt('old-journal'),
      failed('old-journal', 'network_error'),
      attempt('old-refused'),
      failed('old-refused', 'server_error'),
      attempt('not-asked'),
    ];
    const unsent = new Set(['in-flight', 'timed-out', 'limited', 'limited-then-lost', 'lost-then-limited', 'old-journal', 'old-refused', 'no-notes']);
    expect([...sendsThatMayLand(records, unsent)].sort()).toEqual(['in-flight', 'limited-then-lost', 'lost-then-limited', 'no-notes', 'old-journal', 'timed-out']);
  });
});
