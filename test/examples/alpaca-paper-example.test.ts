import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from '../adapters/alpaca/fake-alpaca-server.js';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const clean = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('APCA_')) delete env[key];
  return env;
};

let server: FakeAlpacaServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

describe('examples/alpaca-paper.ts', () => {
  it('without keys: explains what it needs and exits 0, touching no network', async () => {
    const { stdout } = await run(tsx, ['examples/alpaca-paper.ts'], { cwd: root, env: clean() });
    expect(stdout).toContain('needs its keys');
    expect(stdout).toContain('APCA_API_KEY_ID=PK...');
    expect(stdout).toContain('npm run demo');
  }, 60_000);

  it('with keys (here: the local Alpaca-compatible server): reads the account and trades one share round trip', async () => {
    server = await FakeAlpacaServer.start();
    server.exchange.setPrice('AAPL', '100');
    dir = mkdtempSync(join(tmpdir(), 'tw-alpaca-example-'));
    const env = { ...clean(), APCA_API_KEY_ID: FAKE_KEY, APCA_API_SECRET_KEY: FAKE_SECRET, APCA_API_BASE_URL: server.baseUrl, APCA_API_STREAM_URL: server.streamUrl, TRADEWIRE_JOURNAL: join(dir, 'orders.jsonl') };
    const { stdout } = await run(tsx, ['examples/alpaca-paper.ts', '--trade', '--price', '100', 'AAPL'], { cwd: root, env });
    expect(stdout).toMatch(/Alpaca paper account PA0000FAKE: equity \$100000\.00/);
    expect(stdout).toContain('Market open');
    expect(stdout).toContain('Decision: executed');
    expect(stdout).toMatch(/✓ AAPL 1 @ 100/);
    expect(stdout).toMatch(/stop accepted at 98, target accepted at 104/);
    expect(stdout).toContain('AAPL closed');
    expect(stdout).not.toContain(FAKE_SECRET);
    expect((await server.exchange.positionList()).length).toBe(0);
  }, 60_000);
});
