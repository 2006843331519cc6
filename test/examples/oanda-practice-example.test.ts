import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ACCOUNT_ID, FAKE_TOKEN, FakeOandaServer } from '../adapters/oanda/fake-oanda-server.js';
import { MARKET_HOURS_NOW, runExample, tempDirForTest } from './run-example.js';

/** A Saturday at 10:00 New York: the forex market is shut (Friday 17:00 to Sunday 17:00). */
const WEEKEND_NOW = '2026-11-28T15:00:00Z';

/** Runs `oanda-practice.ts --trade EUR_USD` against a local v20-compatible server, its clock pinned at `at`. */
async function tradeAgainstLocalServer(at: string): Promise<{ stdout: string; server: FakeOandaServer }> {
  const server = await FakeOandaServer.start({ heartbeatMs: 50 });
  onTestFinished(() => server.close());
  server.exchange.setPrice('EUR_USD', '1.10000');
  const dir = tempDirForTest('tw-oanda-example-');
  const env = { OANDA_API_TOKEN: FAKE_TOKEN, OANDA_ACCOUNT_ID: ACCOUNT_ID, OANDA_REST_URL: server.url, OANDA_STREAM_URL: server.url, TRADEWIRE_JOURNAL: join(dir, 'orders.jsonl') };
  return { stdout: await runExample('oanda-practice.ts', ['--trade', 'EUR_USD'], 'OANDA_', env, at), server };
}

describe('examples/oanda-practice.ts', () => {
  it('without a token: explains what it needs and exits 0, touching no network', async () => {
    const stdout = await runExample('oanda-practice.ts', [], 'OANDA_');
    expect(stdout).toContain('OANDA_API_TOKEN=...');
    expect(stdout).toContain('never trades live');
  }, 60_000);

  it('with a token (here: the local v20-compatible server): reads the account and trades a round trip', async () => {
    // Pinned to a weekday: the script checks the forex session on its own clock.
    const { stdout, server } = await tradeAgainstLocalServer(MARKET_HOURS_NOW);
    expect(stdout).toContain(`account ${ACCOUNT_ID} in USD, NAV 100000.00`);
    expect(stdout).toContain('EUR_USD: units step 1, price step 0.00001, margin rate 0.0333');
    expect(stdout).toContain('Decision: executed');
    expect(stdout).toMatch(/stop accepted at 1\.078, target accepted at 1\.144/);
    expect(stdout).toContain('EUR_USD closed');
    expect(stdout).not.toContain(FAKE_TOKEN);
    expect(server.exchange.openTrades()).toEqual([]);
  }, 60_000);

  it('on a weekend: says the forex market is closed and trades nothing', async () => {
    const { stdout, server } = await tradeAgainstLocalServer(WEEKEND_NOW);
    expect(stdout).toContain('The forex market is closed');
    expect(stdout).not.toContain('Decision:');
    expect(server.exchange.openTrades()).toEqual([]);
  }, 60_000);
});
