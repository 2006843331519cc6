import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FAKE_KEY, FAKE_SECRET, FakeAlpacaServer } from '../adapters/alpaca/fake-alpaca-server.js';
import { MARKET_HOURS_NOW, runExample, tempDirForTest } from './run-example.js';

describe('examples/alpaca-paper.ts', () => {
  it('without keys: explains what it needs and exits 0, touching no network', async () => {
    const stdout = await runExample('alpaca-paper.ts', [], 'APCA_');
    expect(stdout).toContain('needs its keys');
    expect(stdout).toContain('APCA_API_KEY_ID=PK...');
    expect(stdout).toContain('npm run demo');
  }, 60_000);

  it('with keys (here: the local Alpaca-compatible server): reads the account and trades one share round trip', async () => {
    const server = await FakeAlpacaServer.start();
    onTestFinished(() => server.close());
    server.exchange.setPrice('AAPL', '100');
    const dir = tempDirForTest('tw-alpaca-example-');
    const env = { APCA_API_KEY_ID: FAKE_KEY, APCA_API_SECRET_KEY: FAKE_SECRET, APCA_API_BASE_URL: server.baseUrl, APCA_API_STREAM_URL: server.streamUrl, TRADEWIRE_JOURNAL: join(dir, 'orders.jsonl') };
    // Pinned to market hours: the engine checks the session itself, on the script's clock.
    const stdout = await runExample('alpaca-paper.ts', ['--trade', '--price', '100', 'AAPL'], 'APCA_', env, MARKET_HOURS_NOW);
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
