import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * docs/api is the API reference TypeDoc generates from the TSDoc (`npm run docs:api`), shipped
 * with the docs. Regenerated here into a temporary folder: it must match what is committed.
 */
const root = join(__dirname, '../..');
const out = mkdtempSync(join(tmpdir(), 'tw-api-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const files = (dir: string): string[] => (readdirSync(dir, { recursive: true, withFileTypes: true }) as { name: string; parentPath: string; isFile(): boolean }[]).filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();

describe('the API reference (docs/api)', () => {
  it('is current: regenerating it from the source changes nothing (run `npm run docs:api` after changing a public API)', { timeout: 120_000 }, () => {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out], { cwd: root, stdio: 'pipe' });
    const committed = join(root, 'docs', 'api');
    expect(files(out)).toEqual(files(committed));
    for (const f of files(out)) expect(readFileSync(join(out, f), 'utf8'), f).toBe(readFileSync(join(committed, f), 'utf8'));
  });

  it('covers every subpath, and the names a user looks for', () => {
    const index = readFileSync(join(root, 'docs', 'api', 'README.md'), 'utf8');
    for (const entry of ['tradewire', 'tradewire/testing', 'tradewire/alpaca', 'tradewire/oanda', 'tradewire/postgres', 'tradewire/server', 'tradewire/client', 'tradewire/adapter-kit']) expect(index).toContain(`[${entry}]`);
    const core = readFileSync(join(root, 'docs', 'api', 'tradewire.md'), 'utf8');
    for (const name of ['### ExecutionEngine', 'averageEntryPrice', 'strategyId', 'openPositions']) expect(core).toContain(name);
  });
});
