import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { JournalLockedError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { writeFileAtomically } from './atomic-file.js';

/** What a journal's lock file holds: who has the journal open, and a token naming that opening. */
interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly since: number;
  readonly token: string;
  /**
   * Which process had that id (Linux: the boot id and the process's start time from `/proc`): a
   * process id is reused, so a live process under the holder's id is the holder only if this matches.
   */
  readonly process?: string;
}

/**
 * Takes `<path>.lock` for a `FileJournal` opened on `path`, and returns the function that gives it
 * back. One held by a live process on this host is a {@link JournalLockedError}. Taken over with a
 * warning: a lock whose process is gone (a crash, a SIGKILL, no `close()`); one written on another
 * host, whose process cannot be checked from here (a container or pod restarted under a new host
 * name must not need a person to start again — several hosts sharing one store is what
 * `tradewire/postgres` and its account lease are for); one held by this very process (a journal
 * opened again without closing the first — how tests simulate a crash).
 * `token` tells this opening from another of the same process: releasing removes only its own lock.
 * A live process under the holder's id that started after the holder did (Linux: compared through
 * `/proc`) is another process that reused the id — a container restarted on the same host name — and
 * the lock is taken over too.
 */
export function lockJournal(path: string, token: string, now: number, logger: Logger): () => void {
  const lockPath = `${path}.lock`;
  const identity = processIdentity(process.pid);
  const mine: LockHolder = { pid: process.pid, host: hostname(), since: now, token, ...(identity ? { process: identity } : {}) };
  if (!createExclusively(lockPath, mine)) {
    const holder = readHolder(lockPath);
    const idAlive = holder !== undefined && holder.host === mine.host && holder.pid !== mine.pid && isAlive(holder.pid);
    const reused = idAlive && idReused(holder);
    if (idAlive && !reused) throw new JournalLockedError(path, holder);
    logger.warn(
      holder === undefined
        ? `journal ${path}: its lock file is unreadable; taking it over`
        : reused
          ? `journal ${path}: process ${holder.pid} held it and has ended without closing it (its id now belongs to another process, started later); taking it over`
          : holder.host !== mine.host
          ? // A container or pod restarted elsewhere has a new host name: refusing would need a person after every crash.
            `journal ${path}: locked by process ${holder.pid} on ${holder.host}, which cannot be checked from here; taking it over (several hosts on one store: use tradewire/postgres and its account lease)`
          : holder.pid === mine.pid
            ? `journal ${path}: locked by this process id (this process opened it again without closing it, or a restarted container reused the id); the new opening takes it over`
            : `journal ${path}: process ${holder.pid} held it and has ended without closing it (a crash, or no close()); taking it over`,
    );
    writeFileAtomically(lockPath, JSON.stringify(mine));
    // Two processes taking the same stale lock over at once: the later rename wins, and one that
    // already sees the other's token backs off (what is left is the instant between rename and read).
    const current = readHolder(lockPath);
    if (current?.token !== token) throw new JournalLockedError(path, current ?? mine);
  }
  return () => {
    if (readHolder(lockPath)?.token !== token) return;
    try {
      unlinkSync(lockPath);
    } catch {
      // Already gone: nothing to give back.
    }
  };
}

/**
 * Creates the lock file, whole, if there is none: written to a temporary file first, then linked to
 * its name (a link fails if the name exists — no one ever sees a lock file half written); false
 * when one exists.
 */
function createExclusively(lockPath: string, holder: LockHolder): boolean {
  const temp = written(lockPath, holder);
  try {
    linkSync(temp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** The holder written to a temporary file beside the lock, named for this opening. */
function written(lockPath: string, holder: LockHolder): string {
  const temp = `${lockPath}.${holder.pid}.${holder.token}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, JSON.stringify(holder));
  } finally {
    closeSync(fd);
  }
  return temp;
}

function readHolder(lockPath: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockHolder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string' && typeof holder.token === 'string' ? (holder as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process with this id exists on this host (EPERM: it does, and is not ours to signal). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The boot and the start time of process `pid` (Linux `/proc`; field 22 of `stat`, in clock ticks
 * since boot), or undefined where they cannot be read.
 */
function processIdentity(pid: number): string | undefined {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after it.
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return started ? `${boot}:${started}` : undefined;
  } catch {
    return undefined;
  }
}

/** The holder's id now names another process: both identities known, and different. */
function idReused(holder: LockHolder): boolean {
  if (holder.process === undefined) return false;
  const now = processIdentity(holder.pid);
  return now !== undefined && now !== holder.process;
}
