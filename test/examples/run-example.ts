import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const root = resolve(__dirname, '../..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');

/** Runs `examples/<file>` with tsx, in an environment without any variable starting with `dropPrefix` plus `env`. */
export async function runExample(file: string, args: readonly string[], dropPrefix: string, env: Record<string, string> = {}): Promise<string> {
  const clean = { ...process.env };
  for (const key of Object.keys(clean)) if (key.startsWith(dropPrefix)) delete clean[key];
  const { stdout } = await exec(tsx, [`examples/${file}`, ...args], { cwd: root, env: { ...clean, ...env } });
  return stdout;
}
