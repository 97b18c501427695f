/**
 * What the Record Service acknowledged with 200 survives `kill -9`: a real server process on a
 * temporary SQLite file takes concurrent batches, is SIGKILLed mid-run, restarts on the same file,
 * and must still hold every number it acknowledged.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { generateNhsNumbers } from '../../core/nhs-number';
import { DURABLE_API_KEY } from './test-support/durable-server';

const SCRIPT = path.join(__dirname, 'test-support', 'durable-server.ts');
const BATCH = 500;
const BATCHES = 60;
const KILL_AFTER_ACKS = 12;

interface Child {
  proc: ChildProcess;
  url: string;
}

function startServer(file: string): Promise<Child> {
  const proc = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), SCRIPT, file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PCA_HARNESS_LOG_LEVEL: 'silent' },
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start in 20 s: ${stderr}`));
    }, 20_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${stderr}`));
    });
    createInterface({ input: proc.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      proc.removeAllListeners('exit');
      resolve({ proc, url: (JSON.parse(line) as { url: string }).url });
    });
  });
}

function killed(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

describe('durability across kill -9', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pca-rs-kill-'));
  });
  afterAll(async () => {
    for (const c of children) await killed(c);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged registration when the server is killed mid-run and restarted', async () => {
    const file = path.join(dir, 'record-service.sqlite');
    const numbers = generateNhsNumbers(BATCH * BATCHES, 2024);
    const first = await startServer(file);
    children.push(first.proc);

    const acked: string[] = [];
    let next = 0;
    let ackedBatches = 0;
    let stop = false;
    let releaseKill!: () => void;
    const enoughAcks = new Promise<void>((r) => {
      releaseKill = r;
    });
    const worker = async () => {
      while (!stop && next < BATCHES) {
        const i = next++;
        const batch = numbers.slice(i * BATCH, (i + 1) * BATCH);
        try {
          const res = await fetch(`${first.url}/records`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${DURABLE_API_KEY}` },
            body: JSON.stringify({ clientId: 'pep-01', nhsNumbers: batch }),
          });
          if (res.status === 200) {
            acked.push(...batch);
            ackedBatches += 1;
            if (ackedBatches >= KILL_AFTER_ACKS) releaseKill();
          }
          await res.arrayBuffer();
        } catch {
          // The server died under this request: it was never acknowledged, so it may or may not be there.
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    await enoughAcks;
    await killed(first.proc);
    stop = true;
    await Promise.all(workers);
    expect(first.proc.signalCode).toBe('SIGKILL');
    expect(ackedBatches).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    // The kill landed mid-run: some batches were never sent or never answered.
    expect(acked.length).toBeLessThan(numbers.length);

    const second = await startServer(file);
    children.push(second.proc);
    const held = new Set<string>();
    let after = '';
    for (;;) {
      const res = await fetch(
        `${second.url}/_harness/records/reconciliation?clientId=pep-01&full=1&limit=5000${after ? `&after=${after}` : ''}`,
      );
      const page = (await res.json()) as { nhsNumbers: string[]; next?: string; distinctNhsNumbers: number };
      for (const n of page.nhsNumbers) held.add(n);
      if (!page.next) {
        expect(page.distinctNhsNumbers).toBe(held.size);
        break;
      }
      after = page.next;
    }
    const lost = acked.filter((n) => !held.has(n));
    expect(lost).toEqual([]);
    expect(held.size).toBeGreaterThanOrEqual(acked.length);
    await killed(second.proc);
  });
});
