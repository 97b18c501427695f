/**
 * One owner per state directory. Two platforms on one state dir would each acknowledge registrations
 * the other never sees in its reconciliation, so the first takes an exclusive lock file holding its
 * pid; the second is refused with an error naming the file and the owner. A lock left by a process
 * that no longer exists (kill -9, a crash) is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { ExitCode, HarnessError } from './errors';

export const STATE_LOCK_FILE = 'pca-harness.lock';

export interface StateLockOwner {
  pid: number;
  host: string;
  since: string;
  /** What holds it, e.g. `pca-harness serve`. */
  by: string;
}

/** Another process owns the state directory (exit 2: the run cannot start as asked). */
export class StateDirLockedError extends HarnessError {
  constructor(
    readonly file: string,
    readonly owner: StateLockOwner | undefined,
  ) {
    const who = owner
      ? `${owner.by} (pid ${owner.pid} on ${owner.host}, since ${owner.since})`
      : 'another process (its lock file could not be read)';
    super(
      `the state directory ${path.dirname(file)} is in use by ${who}; lock file ${file}. ` +
        'Stop that process, or give this one its own --state-dir. ' +
        'If that process is gone and the lock remains (another host sharing the directory), delete the lock file.',
      ExitCode.usage,
    );
    this.name = 'StateDirLockedError';
  }
}

export interface StateLock {
  file: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

function readOwner(file: string): StateLockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateLockOwner>;
    if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return undefined;
    return { pid: o.pid, host: String(o.host ?? ''), since: String(o.since ?? ''), by: String(o.by ?? 'pca-harness') };
  } catch {
    return undefined;
  }
}

/** True unless the pid is certainly gone on this host (EPERM means it exists under another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Takes the lock on `dir` (creating the directory), or throws StateDirLockedError. A lock held by a
 * dead pid on this host is recovered; one from another host is never assumed dead.
 */
export function acquireStateLock(dir: string, by = 'pca-harness'): StateLock {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, STATE_LOCK_FILE);
  const me: StateLockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), by };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      const stale = owner !== undefined && owner.host === me.host && !alive(owner.pid);
      // An unreadable lock may be one being written this instant: look again before refusing.
      if (stale || (owner === undefined && attempt < 2)) {
        if (stale) rmSync(file, { force: true });
        continue;
      }
      throw new StateDirLockedError(file, owner);
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      file,
      release() {
        if (released) return;
        released = true;
        if (readOwner(file)?.pid === me.pid) rmSync(file, { force: true });
      },
    };
  }
  throw new StateDirLockedError(file, readOwner(file));
}
