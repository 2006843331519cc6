import { execFile, spawn } from 'node:child_process';
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

describe('npm run demo -- --dashboard', () => {
  it('starts the live desk behind the dashboard, prints its URL with a token, and serves it', { timeout: 60_000 }, async () => {
    const root = join(__dirname, '../..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts', '--dashboard', '--port', '0', '--seconds', '20'], { cwd: root });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/#token=\S+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/.exec(out);
      expect(url, out).not.toBeNull();
      const [, base, token] = url!;
      expect(await (await fetch(`${base}api/health`)).json()).toMatchObject({ status: 'ok', brokers: [{ account: 'stocks' }, { account: 'fx' }] });
      expect((await fetch(`${base}api/snapshot`)).status).toBe(401);
      const snapshot = (await (await fetch(`${base}api/snapshot`, { headers: { authorization: `Bearer ${token}` } })).json()) as { control: boolean; accounts: { id: string }[] };
      expect(snapshot).toMatchObject({ control: true, accounts: [{ id: 'stocks' }, { id: 'fx' }] });
      // npm test builds first, so the page is there.
      expect((await fetch(base!)).headers.get('content-type')).toContain('text/html');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
