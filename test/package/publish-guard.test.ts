import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README links its guides relatively (they ship in the package); npm's site renders those links
 * against `repository`. Until the project's public URLs are in package.json, `npm publish` refuses
 * (prepublishOnly), so a release can never carry dead links.
 */
const root = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const dir = mkdtempSync(join(tmpdir(), 'tw-publish-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function guard(fields: Record<string, unknown>): { code: number; stderr: string } {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', ...fields }));
  try {
    execFileSync('sh', ['-c', pkg.scripts.prepublishOnly!], { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { status: number; stderr: string };
    return { code: e.status, stderr: e.stderr };
  }
}

describe('npm publish', () => {
  it('is refused while package.json has no repository, homepage or bugs, and says why', () => {
    const refused = guard({ homepage: 'https://example.org' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('package.json has no repository, bugs');
  });

  it('goes ahead once they are set', () => {
    expect(guard({ repository: { type: 'git', url: 'git+https://example.org/x.git' }, homepage: 'https://example.org', bugs: 'https://example.org/issues' }).code).toBe(0);
  });
});
