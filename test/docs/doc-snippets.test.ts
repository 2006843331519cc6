import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asModule, docSnippets } from './doc-snippets.js';

/**
 * Every ```ts block of README.md and docs/ type-checks against the package as it is (strict, with
 * the project's settings). The few names the guides use without defining them (`engine`, `adapter`,
 * `feed`, …) are declared with their real types (doc-snippets.ts). Every block also runs
 * (doc-run.test.ts), and the README's quick start is checked for what it prints (readme-quickstart.test.ts).
 */
const root = join(__dirname, '../..');
const dir = join(root, '.tmp', `doc-snippets-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the code in the docs', () => {
  it('type-checks, every block of it', { timeout: 120_000 }, () => {
    const snippets = docSnippets(root);
    expect(snippets.length).toBeGreaterThan(20);
    mkdirSync(dir, { recursive: true });
    const where = new Map<string, string>();
    snippets.forEach((snippet, i) => {
      const name = `snippet-${i}.ts`;
      where.set(name, `${snippet.file}:${snippet.line}`);
      writeFileSync(join(dir, name), asModule(snippet));
    });
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true, baseUrl: '../..' }, include: ['*.ts'] }));
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    // Name the doc and line rather than the temporary file.
    const readable = output.replace(/[^\s]*snippet-(\d+)\.ts\((\d+),\d+\)/g, (_m, i: string, line: string) => `${where.get(`snippet-${i}.ts`)} (+${line})`);
    expect(readable).toBe('');
  });
});
