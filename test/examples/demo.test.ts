import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run demo', () => {
  it('runs to the end: orders, fills, positions, P&L, the day\'s report, and the desk part', { timeout: 60_000 }, async () => {
    const root = join(__dirname, '../..');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { cwd: root });
    for (const line of ['→ order', '✓ filled', '◆ AAPL long', 'P&L today', 'Trade report', 'trades closed 3', 'Part two', 'd1 → stocks: executed', 'd3 → fx: rejected (desk_positions', 'book: 3 positions']) expect(stdout).toContain(line);
  });
});
