import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileJournal, silentLogger } from 'tradewire';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A full disk, as the kernel reports it: the engine runs in a child process whose files may not
 * grow past 192 KiB (`ulimit -f`, with SIGXFSZ ignored, so a write past the limit is cut short and
 * the next one fails with EFBIG — what a full disk does with ENOSPC). Nothing may reach the broker
 * without its records on disk, the process must not crash, and the file must hold only whole
 * records. test/journal/file-journal-write-failure.test.ts covers the rest (space freed again, a
 * failed flush) in-process. Needs the build (`npm test` builds first).
 */
const root = resolve(__dirname, '../..');
const child = join(__dirname, 'full-disk-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'tw-full-disk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ChildReport {
  readonly sent: string[];
  readonly decisions: Record<string, number>;
  readonly failedOrders: string[];
  readonly alerts: string[];
  readonly errors: string[];
  readonly state: string;
  readonly reason: string | null;
  readonly stopError: string | null;
}

describe('the engine on a disk that fills up (a real file-size limit)', () => {
  it.each(['before-send', 'os'])('(sync: %s) halts new orders with a typed error instead of crashing; every order the broker got is in the journal, and the file holds only whole records', (sync) => {
    const path = join(dir, `journal-${sync}.jsonl`);
    const run = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 192; exec "${process.execPath}" "${child}" "${path}" 400 ${sync}`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChildReport;
    // It traded until the file reached the limit, then stopped sending.
    expect(report.sent.length).toBeGreaterThan(20);
    expect(report.sent.length).toBeLessThan(400);
    expect(report.errors).toEqual(['journal_write_failed']);
    expect(report.alerts).toContain('journal_write_failed');
    expect(report).toMatchObject({ state: 'HALTED', reason: expect.stringMatching(/^the journal cannot write/), stopError: 'journal_write_failed' });
    // The order caught mid-way failed without being sent; every later signal was refused, not sent.
    expect(report.failedOrders.length).toBeLessThanOrEqual(1);
    for (const id of report.failedOrders) expect(report.sent).not.toContain(id);
    expect(report.decisions.trading_halted).toBeGreaterThan(100);
    // The file: at the limit, whole records only (nothing torn, nothing corrupt).
    expect(readFileSync(path).length).toBeLessThanOrEqual(192 * 1024);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
    const journal = new FileJournal({ path, logger: silentLogger });
    try {
      expect(journal.recovery.tornTail).toBe(false);
      expect(journal.recovery.corruptLines).toEqual([]);
      // Journaled before sent: each order the broker received was created, and marked submitted, on disk.
      const created = new Set(journal.query({ kinds: ['order.created'] }).map((r) => (r.kind === 'order.created' ? r.clientOrderId : '')));
      const submitted = new Set(journal.query({ kinds: ['order.event'] }).flatMap((r) => (r.kind === 'order.event' && r.status === 'submitted' ? [r.clientOrderId] : [])));
      for (const id of report.sent) {
        expect(created.has(id), id).toBe(true);
        expect(submitted.has(id), id).toBe(true);
      }
    } finally {
      journal.close();
    }
  });
});
