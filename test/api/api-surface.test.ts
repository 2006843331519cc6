import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The public surface, locked: every value each subpath exports, by name, against the committed
 * api-surface.json. Types are locked by docs/api (regenerated and compared in test/docs). A change
 * here is a change to the package's API: make it on purpose, note it in CHANGELOG.md, and update
 * the snapshot with `UPDATE_API_SURFACE=1 npx vitest run test/api/api-surface.test.ts`.
 */
const SUBPATHS = {
  tradewire: () => import('tradewire'),
  'tradewire/testing': () => import('tradewire/testing'),
  'tradewire/alpaca': () => import('tradewire/alpaca'),
  'tradewire/oanda': () => import('tradewire/oanda'),
  'tradewire/postgres': () => import('tradewire/postgres'),
  'tradewire/server': () => import('tradewire/server'),
  'tradewire/client': () => import('tradewire/client'),
  'tradewire/adapter-kit': () => import('tradewire/adapter-kit'),
} as const;
const file = join(__dirname, 'api-surface.json');

describe('the public surface', () => {
  it('exports exactly the names in api-surface.json', async () => {
    const surface: Record<string, string[]> = {};
    for (const [name, load] of Object.entries(SUBPATHS)) surface[name] = Object.keys(await load()).sort();
    if (process.env.UPDATE_API_SURFACE) writeFileSync(file, `${JSON.stringify(surface, null, 2)}\n`);
    expect(surface).toEqual(JSON.parse(readFileSync(file, 'utf8')));
  });
});
