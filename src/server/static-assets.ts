import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Where the dashboard's built files are: beside the package's own module in `dist/` (what a user
 * installed), or — running from the source tree — in the `dist/` the build wrote.
 */
export function defaultAssetsDir(): string | undefined {
  const candidates = [new URL('./dashboard/', import.meta.url), new URL('../../dist/dashboard/', import.meta.url)];
  for (const url of candidates) {
    const dir = fileURLToPath(url);
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/**
 * The dashboard's files, read once at start (a handful of small files): the server answers only
 * these names, so no request path ever reaches the file system.
 */
export function loadAssets(dir: string | undefined): ReadonlyMap<string, StaticAsset> {
  const assets = new Map<string, StaticAsset>();
  if (!dir || !existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const type = CONTENT_TYPES[extname(name)];
    if (!type || !statSync(path).isFile()) continue;
    assets.set(`/${name}`, { body: readFileSync(path), contentType: type });
  }
  const index = assets.get('/index.html');
  if (index) assets.set('/', index);
  return assets;
}
