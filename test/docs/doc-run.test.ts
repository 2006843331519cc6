import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FakeAlpacaServer, FAKE_KEY, FAKE_SECRET } from '../adapters/alpaca/fake-alpaca-server.js';
import { ACCOUNT_ID, FAKE_TOKEN, FakeOandaServer } from '../adapters/oanda/fake-oanda-server.js';
import { CONNECTION, dropAccount } from '../postgres/pg-test-kit.js';
import { AMBIENT_NAMES, DOC_PRICES, DOC_TOKENS, docBarsCsv, FIXTURE_NAMES, useDocServers } from './doc-fixtures.js';
import { ambientNames, docSnippets, type Snippet } from './doc-snippets.js';

/**
 * Every ```ts block of README.md and docs/ runs (doc-snippets.test.ts type-checks them): each as a
 * module of its own, in a directory of its own (the files it writes stay there), with real values for
 * the names the guides leave undefined (doc-fixtures.ts). The adapter guides' scripts, which read
 * their keys from the environment, meet the local Alpaca and OANDA servers; the operations guide
 * meets PostgreSQL's test database. A block that defines vitest tests (docs/testing.md) registers them
 * here. Nothing touches the internet. Runs in order: docs/dashboard.md's client talks to the server
 * its previous block started, as a reader would run them.
 */
const root = join(__dirname, '../..');
const dir = join(root, '.tmp', `doc-run-${process.pid}`);
const snippets = docSnippets(root);

/** The environment the guides read (their keys, tokens and database), pointed at local stand-ins. */
function environment(alpaca: FakeAlpacaServer, oanda: FakeOandaServer): Record<string, string> {
  return {
    APCA_API_KEY_ID: FAKE_KEY,
    APCA_API_SECRET_KEY: FAKE_SECRET,
    APCA_API_BASE_URL: alpaca.baseUrl,
    APCA_API_STREAM_URL: alpaca.streamUrl,
    OANDA_API_TOKEN: FAKE_TOKEN,
    OANDA_ACCOUNT_ID: ACCOUNT_ID,
    OANDA_REST_URL: oanda.url,
    OANDA_STREAM_URL: oanda.url,
    DATABASE_URL: CONNECTION,
    DASHBOARD_TOKEN: DOC_TOKENS.lead,
    VIEWER_TOKEN: DOC_TOKENS.viewer,
    SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/slack',
  };
}

/** The snippet as a module: its undefined names bound to fixtures, then its code as written. */
function runnable(snippet: Snippet): string {
  const names = ambientNames(snippet);
  const fixtures = pathToFileURL(join(__dirname, 'doc-fixtures.ts')).href;
  const preamble = names.length === 0 ? '' : `import { docFixtures as __docFixtures } from '${fixtures}';\nconst { ${names.join(', ')} } = await __docFixtures(${JSON.stringify(names)});\n`;
  return `${preamble}${snippet.code}\nexport {};\n`;
}

const definesTests = (snippet: Snippet): boolean => /from 'vitest'/.test(snippet.code) && /^\s*(it|test|describe)\(/m.test(snippet.code);
const label = (snippet: Snippet): string => `${snippet.file}:${snippet.line}`;

let alpaca: FakeAlpacaServer;
let oanda: FakeOandaServer;
const saved = { ...process.env };
const cwd = process.cwd();

mkdirSync(dir, { recursive: true });
const files = snippets.map((snippet, i) => {
  const own = join(dir, `block-${i}`);
  mkdirSync(own, { recursive: true });
  // The backtest guide reads a CSV of bars from the working directory.
  writeFileSync(join(own, 'spy-30m.csv'), docBarsCsv());
  const file = join(own, 'block.ts');
  writeFileSync(file, runnable(snippet));
  return { snippet, file, own };
});

beforeAll(async () => {
  alpaca = await FakeAlpacaServer.start();
  oanda = await FakeOandaServer.start({ heartbeatMs: 100 });
  for (const [symbol, price] of Object.entries(DOC_PRICES)) alpaca.exchange.setPrice(symbol, price);
  oanda.exchange.setPrice('EUR_USD', '1.10000');
  useDocServers({ alpaca: { baseUrl: alpaca.baseUrl, streamUrl: alpaca.streamUrl }, oanda: { url: oanda.url } });
  Object.assign(process.env, environment(alpaca, oanda));
  await dropAccount('alpaca-live-1'); // the operations guide's account: a journal of its own each run
});

afterAll(async () => {
  process.chdir(cwd);
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await dropAccount('alpaca-live-1');
  // The local servers stay up until this file's process ends: the guides' engines still hold their
  // streams, and closing under them only prints their reconnect errors.
  rmSync(dir, { recursive: true, force: true });
});

describe('every name the guides leave undefined has a value', () => {
  it('AMBIENT and the fixtures list the same names', () => {
    expect([...FIXTURE_NAMES].sort()).toEqual([...AMBIENT_NAMES].sort());
  });
});

describe('the code in the docs runs', () => {
  for (const { snippet, file, own } of files) {
    if (definesTests(snippet)) continue;
    it(label(snippet), { timeout: 30_000 }, async () => {
      const printed: unknown[][] = [];
      const quiet = (...args: unknown[]): void => void printed.push(args);
      const spies = (['log', 'info', 'table', 'warn'] as const).map((m) => vi.spyOn(console, m).mockImplementation(quiet));
      process.chdir(own);
      try {
        await import(pathToFileURL(file).href);
      } finally {
        process.chdir(cwd);
        for (const spy of spies) spy.mockRestore();
      }
      // A block that prints (at its top level, not in a listener) printed something: it ran to its end.
      if (/^console\.(log|table)\(/m.test(snippet.code)) expect(printed.length, `${relative(root, file)} printed nothing`).toBeGreaterThan(0);
    });
  }
});

// Blocks that are vitest tests themselves (the testing guide's first example) register here.
for (const { snippet, file } of files.filter(({ snippet }) => definesTests(snippet))) {
  describe(label(snippet), async () => {
    await import(pathToFileURL(file).href);
  });
}
