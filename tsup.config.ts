import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineConfig, type Options } from 'tsup';

/**
 * The single source of truth for the package's entry points: `package.json#exports`
 * names exactly these files (test/package/exports.test.ts checks that the two agree).
 */
export const entries = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  'testing/conformance': 'src/testing/conformance.ts',
  alpaca: 'src/adapters/alpaca/index.ts',
  oanda: 'src/adapters/oanda/index.ts',
  postgres: 'src/stores/postgres/index.ts',
  server: 'src/server/index.ts',
  client: 'src/client/index.ts',
  'adapter-kit': 'src/adapter-kit/index.ts',
} as const;

const shared: Options = {
  entry: entries,
  // No source maps in the package: they embedded every source (half the package's size) and pointed
  // at src/ files it does not ship; the built code is readable as it is (not minified).
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  splitting: false,
  treeshake: true,
  // The Alpaca SDK is an optional peer: never bundled, only required by tradewire/alpaca.
  // 'tradewire' is the package's own entry: subpaths import it rather than bundling a second copy of the core.
  // vitest is an optional peer too, needed only by tradewire/testing/conformance.
  // pg (node-postgres) is an optional peer, required only by tradewire/postgres.
  external: ['tradewire', '@alpacahq/alpaca-trade-api', 'vitest', 'pg'],
};

const CONFORMANCE_REQUIRE_STUB = `'use strict';
throw new Error("tradewire/testing/conformance is ESM-only: it runs inside vitest, which cannot be loaded with require(). Import it from an ES module test file: import { describeBrokerAdapterConformance } from 'tradewire/testing/conformance'.");
`;

/** The dashboard page's files, shipped in the package and served by tradewire/server (no build step for the user). */
const DASHBOARD_STATIC = 'src/dashboard/static';

export default defineConfig([
  { ...shared, format: ['esm'], dts: true, clean: true },
  // The command-line tool (package.json#bin), not an export: ESM only, no types.
  { ...shared, entry: { cli: 'src/cli/tradewire.ts' }, format: ['esm'], dts: false, external: [...(shared.external as string[]), 'tradewire/postgres'] },
  {
    ...shared,
    format: ['cjs'],
    // Its declarations are the ESM build's, copied (cjsDeclarations below): building them twice cost
    // half the build's time for files that differ only in their chunks' extensions.
    dts: false,
    // p-retry is ESM-only; bundling it keeps require('tradewire') working on Node 20
    // without relying on require(esm).
    noExternal: ['p-retry', 'is-network-error'],
    // tradewire/server finds the dashboard's files beside its own module (import.meta.url).
    shims: true,
    // tradewire/testing/conformance is ESM-only: vitest cannot be loaded with require(). Its CJS
    // entry says so in our words instead of failing inside vitest.
    async onSuccess() {
      await writeFile('dist/testing/conformance.cjs', CONFORMANCE_REQUIRE_STUB);
    },
  },
  // The dashboard's script: one browser module (the typed client bundled in), beside its page and styles.
  {
    entry: { 'dashboard/app': 'src/dashboard/app.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2020',
    dts: false,
    sourcemap: false,
    splitting: false,
    noExternal: [/.*/],
    async onSuccess() {
      await cp(DASHBOARD_STATIC, 'dist/dashboard', { recursive: true });
    },
  },
]);

/**
 * Every `.d.cts` of dist/ from the ESM build's `.d.ts`: the same text, with relative imports of the
 * shared declaration chunks pointing at `.cjs`. Runs after tsup (`npm run build`), when every `.d.ts` is written.
 */
export async function cjsDeclarations(dir = 'dist'): Promise<number> {
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.d.ts'));
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8');
    await writeFile(join(dir, file.replace(/\.d\.ts$/, '.d.cts')), text.replace(/(from '\.{1,2}\/[^']+)\.js'/g, "$1.cjs'"));
  }
  return files.length;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv.includes('--cjs-declarations')) {
  await cjsDeclarations();
}
