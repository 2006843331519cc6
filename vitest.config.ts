import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests and examples import the package by its public name, as a user would.
    alias: [
      { find: /^tradewire\/testing$/, replacement: src('testing/index.ts') },
      { find: /^tradewire\/testing\/conformance$/, replacement: src('testing/conformance.ts') },
      { find: /^tradewire\/alpaca$/, replacement: src('adapters/alpaca/index.ts') },
      { find: /^tradewire\/oanda$/, replacement: src('adapters/oanda/index.ts') },
      { find: /^tradewire\/postgres$/, replacement: src('stores/postgres/index.ts') },
      { find: /^tradewire\/server$/, replacement: src('server/index.ts') },
      { find: /^tradewire\/client$/, replacement: src('client/index.ts') },
      { find: /^tradewire\/adapter-kit$/, replacement: src('adapter-kit/index.ts') },
      { find: /^tradewire$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // One fixed sample of every property unless a search asks for a draw (see the file).
    setupFiles: ['test/setup/property-seed.ts'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
