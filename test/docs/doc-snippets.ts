import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** A ```ts block of a Markdown file, with where it starts. */
export interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

/** Names the guides use without defining them in the block, and what they stand for. */
export const AMBIENT: Readonly<Record<string, string>> = {
  engine: "import('tradewire').ExecutionEngine",
  adapter: "import('tradewire').BrokerAdapter",
  broker: "import('tradewire/testing').MockBroker",
  clock: "import('tradewire').ManualClock",
  journal: "import('tradewire').InMemoryJournal",
  desk: "import('tradewire').TradingDesk",
  signal: "import('tradewire').Signal",
  signals: "import('tradewire').Signal[]",
  feed: "import('tradewire').Signal[]",
  feedSince: "(checkpoint: number) => import('tradewire').Signal[]",
  lastCheckpoint: 'number',
  barSignals: "import('tradewire').Signal[]",
  lastPrice: "(symbol: string) => import('tradewire').Decimal",
  connectionString: 'string',
  report: "import('tradewire').TradeReport",
  period: "import('tradewire').ReportPeriod",
  log: "{ (...values: unknown[]): void; error(message: string, context?: object): void }",
  page: '(message: string) => void',
  mailer: '{ send(mail: { to: string; subject: string; text: string }): Promise<void> }',
  opsToken: 'string',
  apiKey: 'string',
  apiSecret: 'string',
  brokerAccountNumber: 'string',
  bars: "import('tradewire/testing').BacktestBar[]",
  store: "import('tradewire').ReportStore",
  token: 'string',
  server: "import('tradewire/server').TradewireServer",
  render: '(value: unknown) => void',
  pool: "import('pg').Pool",
  expect: "typeof import('vitest').expect",
  it: "typeof import('vitest').it",
  sector: 'Record<string, string>',
  alpacaOptions: "import('tradewire/alpaca').AlpacaAdapterOptions",
  oandaOptions: "import('tradewire/oanda').OandaAdapterOptions",
};

/** Every ```ts block in README.md and docs/ (the generated API reference aside; an excerpt, whose first line says `// excerpt: <file>`, is compiled where it comes from). */
export function docSnippets(root: string): Snippet[] {
  const files = ['README.md', ...markdownUnder(join(root, 'docs')).map((f) => relative(root, f))].filter((f) => !f.startsWith('docs/api/'));
  const out: Snippet[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.trim() !== '```ts') continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end]!.trim() !== '```') end++;
      if (!lines[start]?.startsWith('// excerpt:')) out.push({ file, line: start + 1, code: lines.slice(start, end).join('\n') });
      i = end;
    }
  }
  return out;
}

/** The ambient names (see {@link AMBIENT}) the snippet uses without defining them. */
export function ambientNames(snippet: Snippet): string[] {
  const declared = (name: string): boolean => new RegExp(`(?:const|let|var|function|class)\\s+${name}\\b|import[^;]*\\b${name}\\b[^;]*from|\\{[^}]*\\b${name}\\b[^}]*\\}\\s*=`).test(snippet.code);
  const used = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(snippet.code);
  return Object.keys(AMBIENT).filter((name) => used(name) && !declared(name));
}

/** The snippet as a module of its own, with the ambient names it uses but does not define declared (for type-checking). */
export function asModule(snippet: Snippet): string {
  const preamble = ambientNames(snippet)
    .map((name) => `declare const ${name}: ${AMBIENT[name]};`)
    .join('\n');
  return `${preamble}\n${snippet.code}\nexport {};\n`;
}

function markdownUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.md')).map((f) => join(dir, f));
}
