import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { acquireStateLock, STATE_LOCK_FILE, StateDirLockedError } from './state-lock';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has certainly exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('state directory lock', () => {
  it('refuses a second owner with an error naming the lock file and the owner pid', () => {
    const lock = acquireStateLock(dir, 'pca-harness serve');
    const file = path.join(dir, STATE_LOCK_FILE);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, by: 'pca-harness serve' });
    let err: unknown;
    try {
      acquireStateLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDirLockedError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    expect((err as Error).message).toContain('--state-dir');
    lock.release();
    expect(existsSync(file)).toBe(false);
    acquireStateLock(dir).release();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const file = path.join(dir, STATE_LOCK_FILE);
    const pid = deadPid();
    writeFileSync(
      file,
      JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00Z', by: 'pca-harness serve' }),
    );
    const lock = acquireStateLock(dir);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('never assumes a lock from another host is stale', () => {
    writeFileSync(
      path.join(dir, STATE_LOCK_FILE),
      JSON.stringify({ pid: deadPid(), host: `not-${hostname()}`, since: '2026-01-01T00:00:00Z', by: 'x' }),
    );
    expect(() => acquireStateLock(dir)).toThrow(StateDirLockedError);
  });

  it('release leaves a lock that another owner has since taken', () => {
    const lock = acquireStateLock(dir);
    const file = path.join(dir, STATE_LOCK_FILE);
    writeFileSync(file, JSON.stringify({ pid: 1, host: 'elsewhere', since: '', by: 'x' }));
    lock.release();
    expect(existsSync(file)).toBe(true);
  });
});
