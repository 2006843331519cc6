import { renameSync, rmSync, writeFileSync } from 'node:fs';

/** Writes `text` to `path` so that a reader sees the old file or the whole new one, never a part. */
export function writeFileAtomically(path: string, text: string): void {
  // Named for this process: two processes writing the same file never write one temporary file.
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
  } catch (error) {
    // A full disk: no part-written file left behind.
    rmSync(temp, { force: true });
    throw error;
  }
  renameSync(temp, path);
}
