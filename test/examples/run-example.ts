import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';

const exec = promisify(execFile);
const root = resolve(__dirname, '../..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/**
 * A Tuesday at 10:00 New York: both the US equity and the forex markets are open. Examples that
 * trade run at this instant (see pinned-time.mjs), so a test never depends on when it runs.
 */
export const MARKET_HOURS_NOW = '2026-11-24T15:00:00Z';

/**
 * Runs `examples/<file>` with tsx, in an environment without any variable starting with
 * `dropPrefix` plus `env`; with `at`, the script's wall clock starts at that instant.
 */
export async function runExample(file: string, args: readonly string[], dropPrefix: string, env: Record<string, string> = {}, at?: string): Promise<string> {
  const clean = { ...process.env };
  for (const key of Object.keys(clean)) if (key.startsWith(dropPrefix)) delete clean[key];
  const pinned = at ? { TRADEWIRE_TEST_NOW: at, NODE_OPTIONS: `${clean.NODE_OPTIONS ?? ''} --import=${pathToFileURL(join(__dirname, 'pinned-time.mjs')).href}`.trim() } : {};
  const { stdout } = await exec(tsx, [`examples/${file}`, ...args], { cwd: root, env: { ...clean, ...env, ...pinned } });
  return stdout;
}

/** A temporary directory for the running test, removed when the test finishes. */
export function tempDirForTest(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
