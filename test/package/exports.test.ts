import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entries } from '../../tsup.config.js';

/**
 * The package as a user gets it: `npm pack`, installed into an empty folder (without the optional
 * Alpaca SDK), then every subpath imported in ESM and required in CJS, and type-checked from both.
 * Needs the build (`npm test` builds first).
 */
const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown>; files: string[] };
const allSubpaths = Object.keys(pkg.exports).filter((k) => k !== './package.json');
/** Subpaths that need an optional peer the consumer here does not install (vitest). */
const needsVitest = ['./testing/conformance'];
const subpaths = allSubpaths.filter((k) => !needsVitest.includes(k));
const specifier = (subpath: string): string => (subpath === '.' ? 'tradewire' : `tradewire/${subpath.slice(2)}`);

let consumer: string;
let tarball: string;

const run = (command: string, args: string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });

beforeAll(() => {
  consumer = mkdtempSync(join(tmpdir(), 'tradewire-consumer-'));
  const packed = run('npm', ['pack', '--ignore-scripts', '--pack-destination', consumer], root).trim().split('\n').pop()!;
  tarball = join(consumer, packed);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', join(consumer, packed)], consumer);
}, 180_000);

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe('the published package', () => {
  it('exports exactly the tsup entries, each with import/require and its own types', () => {
    const fromEntries = Object.keys(entries).map((name) => (name === 'index' ? '.' : `./${name}`));
    expect(allSubpaths.sort()).toEqual(fromEntries.sort());
    for (const [name, subpath] of Object.keys(entries).map((n) => [n, n === 'index' ? '.' : `./${n}`] as const)) {
      expect(pkg.exports[subpath]).toEqual({
        import: { types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` },
        require: { types: `./dist/${name}.d.cts`, default: `./dist/${name}.cjs` },
      });
    }
  });

  it('ships only the build and the docs a user reads (so the README’s links work in the package), without source maps', () => {
    const pkgDir = join(consumer, 'node_modules', 'tradewire');
    const files = readdirSync(pkgDir).sort();
    expect(files).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'docs', 'package.json']);
    expect(readdirSync(join(pkgDir, 'docs'))).toEqual(expect.arrayContaining(['dashboard.md', 'testing.md', 'configuration.md', 'dashboard.png', 'adapters']));
    expect(readdirSync(join(pkgDir, 'docs'))).not.toContain('scripts');
    const maps = readdirSync(join(pkgDir, 'dist'), { recursive: true }).filter((f) => String(f).endsWith('.map'));
    expect(maps).toEqual([]);
    for (const link of readFileSync(join(pkgDir, 'README.md'), 'utf8').matchAll(/\]\((docs\/[^)#]+)/g)) expect(existsSync(join(pkgDir, link[1]!)), link[1]).toBe(true);
  });

  it('tradewire/testing/conformance names its optional peer (vitest) when it is missing', () => {
    let message = '';
    try {
      run('node', ['--input-type=module', '-e', `await import('tradewire/testing/conformance');`], consumer);
    } catch (error) {
      message = String((error as { stderr?: string }).stderr ?? error);
    }
    expect(message).toMatch(/Cannot find (package|module) 'vitest'/);
    expect(readFileSync(join(consumer, 'node_modules', 'tradewire', 'dist', 'testing', 'conformance.js'), 'utf8')).toContain('describeBrokerAdapterConformance');
  });

  it('tradewire/testing/conformance is ESM-only: require() says so in plain words', () => {
    let message = '';
    try {
      run('node', ['-e', `require('tradewire/testing/conformance');`], consumer);
    } catch (error) {
      message = String((error as { stderr?: string }).stderr ?? error);
    }
    expect(message).toContain('tradewire/testing/conformance is ESM-only');
  });

  it('is installed without the optional Alpaca SDK', () => {
    expect(readdirSync(join(consumer, 'node_modules'))).not.toContain('@alpacahq');
  });

  it.each(subpaths)('import %s works in ESM', (subpath) => {
    const out = run('node', ['--input-type=module', '-e', `const m = await import('${specifier(subpath)}'); console.log(Object.keys(m).length);`], consumer);
    expect(Number(out.trim())).toBeGreaterThan(2);
  });

  it.each(subpaths)('require %s works in CJS', (subpath) => {
    const out = run('node', ['-e', `const m = require('${specifier(subpath)}'); console.log(Object.keys(m).length);`], consumer);
    expect(Number(out.trim())).toBeGreaterThan(2);
  });

  const scenario = (load: string): string => `
    ${load}
    const clock = new ManualClock(0);
    const broker = new MockBroker({ clock });
    broker.setPrice('AAPL', '10');
    const lifecycle = new OrderLifecycleManager({ adapter: broker, clock, ids: sequentialIds(), logger: silentLogger });
    lifecycle.start();
    const order = await lifecycle.submit({ symbol: 'AAPL', side: 'buy', quantity: 3 });
    const error = await broker.cancelOrder({ clientOrderId: 'none' }).catch((e) => e);
    console.log(JSON.stringify({ status: order.status, price: order.averageFillPrice.toString(), decimal: order.quantity instanceof Decimal, sameErrorClass: error instanceof BrokerError }));
  `;

  it('runs an order through the mock broker from ESM, with one copy of the core', () => {
    const code = scenario(`import { BrokerError, Decimal, OrderLifecycleManager, silentLogger } from 'tradewire';
      import { ManualClock, MockBroker, sequentialIds } from 'tradewire/testing';`);
    expect(JSON.parse(run('node', ['--input-type=module', '-e', code], consumer))).toEqual({ status: 'filled', price: '10', decimal: true, sameErrorClass: true });
  });

  it('runs an order through the mock broker from CJS, with one copy of the core', () => {
    const code = `(async () => { ${scenario(`const { BrokerError, Decimal, OrderLifecycleManager, silentLogger } = require('tradewire');
      const { ManualClock, MockBroker, sequentialIds } = require('tradewire/testing');`)} })();`;
    expect(JSON.parse(run('node', ['-e', code], consumer))).toEqual({ status: 'filled', price: '10', decimal: true, sameErrorClass: true });
  });

  it('has no type resolution problems under node10, node16 (ESM and CJS) or bundler resolution (are-the-types-wrong)', () => {
    const attw = join(root, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    let out = '';
    try {
      out = run(process.execPath, [attw, tarball, '--format', 'json'], consumer);
    } catch (error) {
      out = String((error as { stdout?: string }).stdout ?? error);
    }
    const report = JSON.parse(out) as { problems: Record<string, unknown[]>; analysis: { entrypoints: Record<string, unknown> } };
    expect(report.problems).toEqual({});
    expect(Object.keys(report.analysis.entrypoints).sort()).toEqual([...allSubpaths, './package.json'].sort());
  }, 120_000);

  it('typesVersions names every subpath (for moduleResolution "node")', () => {
    const typesVersions = (pkg as unknown as { typesVersions: { '*': Record<string, string[]> } }).typesVersions['*'];
    expect(Object.keys(typesVersions).sort()).toEqual(allSubpaths.filter((s) => s !== '.').map((s) => s.slice(2)).sort());
    for (const [name, paths] of Object.entries(typesVersions)) expect(paths).toEqual([`./dist/${name}.d.ts`]);
  });

  it('type-checks for a consumer in ESM and CJS (node16 resolution)', () => {
    const imports = subpaths.map((s, i) => `import * as m${i} from '${specifier(s)}';`).join('\n');
    const uses = subpaths.map((_, i) => `m${i}`).join(', ');
    writeFileSync(join(consumer, 'esm.mts'), `${imports}\nimport { OrderLifecycleManager, type Order } from 'tradewire';\nexport const all = [${uses}, OrderLifecycleManager];\nexport type O = Order;\n`);
    writeFileSync(join(consumer, 'cjs.cts'), `${imports}\nexport const all = [${uses}];\n`);
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['esm.mts', 'cjs.cts'] }),
    );
    let output = '';
    try {
      run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], consumer);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 60_000);
});
