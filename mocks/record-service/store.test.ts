import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { generateNhsNumbers } from '../../core/nhs-number';
import { openRegistrationStore, registrationStorePath, type RegisteredEvent, type RegistrationStore } from './store';
import type { RecordsCallVerdict } from './verdict';

const T0 = new Date('2025-06-01T09:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);
const NUMS = generateNhsNumbers(20, 3);

function draft(over: Partial<RecordsCallVerdict> = {}): Omit<RecordsCallVerdict, 'id'> {
  return {
    at: T0.toISOString(),
    summary: 's',
    status: 200,
    method: 'POST',
    path: '/records',
    clientId: 'pep-01',
    credential: { kind: 'api-key', clientId: 'pep-01' },
    mode: 'strict',
    profile: 'int',
    correlationId: 'c',
    outcome: 'registered',
    received: 1,
    registered: 1,
    newlyRegistered: 1,
    alreadyRegistered: 0,
    ignored: 0,
    reasons: [],
    ...over,
  };
}

describe('registration store', () => {
  let store: RegistrationStore;
  beforeEach(() => {
    store = openRegistrationStore(':memory:');
  });
  afterEach(() => store.close());

  it('registers distinct numbers per client, tells new from re-sent, and keeps first/last seen and count', () => {
    expect(store.register('pep-01', [NUMS[0]!, NUMS[1]!, NUMS[0]!], T0)).toEqual({
      newNhsNumbers: [NUMS[0], NUMS[1]],
      alreadyRegistered: 0,
    });
    expect(store.register('pep-01', [NUMS[1]!, NUMS[2]!], later(1000))).toEqual({
      newNhsNumbers: [NUMS[2]],
      alreadyRegistered: 1,
    });
    expect(store.get('pep-01', NUMS[1]!)).toEqual({
      clientId: 'pep-01',
      nhsNumber: NUMS[1],
      firstSeen: T0.toISOString(),
      lastSeen: later(1000).toISOString(),
      count: 2,
    });
    expect(store.get('pep-docs', NUMS[1]!)).toBeUndefined();
  });

  it('notifies listeners after commit with new and re-sent numbers; a throwing listener does not undo the commit', () => {
    const errors: unknown[] = [];
    const s = openRegistrationStore(':memory:', { onListenerError: (e) => errors.push(e) });
    const seen: RegisteredEvent[] = [];
    s.onRegistered(() => {
      throw new Error('listener bug');
    });
    const off = s.onRegistered((e) => seen.push(e));
    s.register('pep-01', [NUMS[0]!], T0);
    s.register('pep-01', [NUMS[0]!, NUMS[1]!], later(5));
    off();
    s.register('pep-01', [NUMS[2]!], later(10));
    expect(seen).toEqual([
      { clientId: 'pep-01', nhsNumbers: [NUMS[0]], newNhsNumbers: [NUMS[0]], at: T0 },
      { clientId: 'pep-01', nhsNumbers: [NUMS[0], NUMS[1]], newNhsNumbers: [NUMS[1]], at: later(5) },
    ]);
    expect(errors).toHaveLength(3);
    expect(s.countDistinct('pep-01')).toBe(3);
    s.close();
  });

  it("lists the clients holding a patient, and a client's registrations in pages", () => {
    store.register('pep-01', NUMS.slice(0, 10), T0);
    store.register('pep-docs', [NUMS[0]!], T0);
    expect(store.clientsFor(NUMS[0]!).map((r) => r.clientId)).toEqual(['pep-01', 'pep-docs']);
    expect(store.clientsFor(NUMS[19]!)).toEqual([]);
    const first = store.registrationsOf('pep-01', { limit: 6 });
    const rest = store.registrationsOf('pep-01', { after: first[first.length - 1]!.nhsNumber, limit: 6 });
    expect([...first, ...rest].map((r) => r.nhsNumber)).toEqual(NUMS.slice(0, 10).sort());
    expect(store.clientCounts()).toEqual([
      { clientId: 'pep-01', count: 10 },
      { clientId: 'pep-docs', count: 1 },
    ]);
  });

  it('counts distinct numbers first registered up to a point in time (re-sends do not move first_seen)', () => {
    store.register('pep-01', NUMS.slice(0, 5), T0);
    store.register('pep-01', NUMS.slice(0, 8), later(60_000));
    expect(store.countDistinct('pep-01', later(-1))).toBe(0);
    expect(store.countDistinct('pep-01', T0)).toBe(5);
    expect(store.countDistinct('pep-01', later(59_999))).toBe(5);
    expect(store.countDistinct('pep-01', later(60_000))).toBe(8);
    expect(store.countDistinct('pep-01')).toBe(8);
  });

  it("records a call's verdict and registrations in one transaction, redacting the verdict", () => {
    const { verdict, result } = store.recordCall({ clientId: 'pep-01', nhsNumbers: [NUMS[0]!], at: T0 }, (r) =>
      draft({ summary: `new ${r.newNhsNumbers.length}; sent ${NUMS[0]}` }),
    );
    expect(result.newNhsNumbers).toEqual([NUMS[0]]);
    expect(verdict.id).toBe(1);
    expect(verdict.summary).toBe(`new 1; sent ${NUMS[0]!.slice(0, 3)}******${NUMS[0]!.slice(-1)}`);
    expect(store.verdict(1)).toEqual(verdict);
    expect(() =>
      store.recordCall({ clientId: 'pep-01', nhsNumbers: [NUMS[1]!], at: T0 }, () => {
        throw new Error('verdict failed');
      }),
    ).toThrow('verdict failed');
    expect(store.get('pep-01', NUMS[1]!)).toBeUndefined();
  });

  it('group commit: concurrent calls share one transaction and each sees what the earlier ones registered', async () => {
    const calls = Array.from({ length: 10 }, (_, i) =>
      store.commitCall({ clientId: 'pep-01', nhsNumbers: [NUMS[i % 5]!, NUMS[10]!], at: later(i) }, (r) =>
        draft({ summary: `new ${r.newNhsNumbers.length}` }),
      ),
    );
    const results = await Promise.all(calls);
    expect(store.groupStats()).toEqual({ commits: 1, calls: 10 });
    expect(results.map((r) => r.verdict.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // NUMS[10] is new only for the first call; NUMS[0..4] only the first time each appears.
    expect(results.map((r) => r.result.newNhsNumbers.length)).toEqual([2, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    expect(store.countDistinct('pep-01')).toBe(6);
    expect(store.get('pep-01', NUMS[10]!)?.count).toBe(10);
  });

  it('group commit: a call that fails alone fails alone; the others of its group are committed', async () => {
    const ok = store.commitCall({ clientId: 'pep-01', nhsNumbers: [NUMS[0]!], at: T0 }, () => draft());
    const bad = store.commitCall({ clientId: 'pep-01', nhsNumbers: [NUMS[1]!], at: T0 }, () => {
      throw new Error('verdict failed');
    });
    const ok2 = store.commitCall({ clientId: 'pep-01', nhsNumbers: [NUMS[2]!], at: T0 }, () => draft());
    await expect(bad).rejects.toThrow('verdict failed');
    await expect(ok).resolves.toMatchObject({ result: { newNhsNumbers: [NUMS[0]] } });
    await expect(ok2).resolves.toMatchObject({ result: { newNhsNumbers: [NUMS[2]] } });
    expect(store.get('pep-01', NUMS[1]!)).toBeUndefined();
    expect(store.countDistinct('pep-01')).toBe(2);
  });

  it('filters verdicts by clientId (body or credential) and since, newest first, and keeps only the most recent', () => {
    const s = openRegistrationStore(':memory:', { maxVerdicts: 150 });
    for (let i = 0; i < 300; i++) {
      s.recordCall(undefined, () =>
        draft({
          at: later(i * 1000).toISOString(),
          clientId: i % 2 ? '<client_id>' : 'pep-01',
          credential: { kind: 'api-key', clientId: 'pep-01' },
        }),
      );
    }
    s.recordCall(undefined, () =>
      draft({ at: later(400_000).toISOString(), clientId: 'pep-docs', credential: { kind: 'none' } }),
    );
    expect(s.verdicts({ limit: 1000 }).length).toBeLessThanOrEqual(201);
    expect(s.verdicts({ limit: 1000 }).length).toBeGreaterThanOrEqual(150);
    expect(s.verdicts({ clientId: 'pep-docs' }).map((v) => v.id)).toEqual([301]);
    expect(s.verdicts({ clientId: 'pep-01', limit: 3 }).map((v) => v.id)).toEqual([300, 299, 298]);
    expect(s.verdicts({ since: later(299_000) }).map((v) => v.id)).toEqual([301, 300]);
    s.close();
  });

  it('gives the same answers whether registrations are folded or still in the journal', async () => {
    const s = openRegistrationStore(':memory:', { foldEvery: 3 });
    const tick = () => new Promise((r) => setImmediate(r));
    s.register('pep-01', NUMS.slice(0, 4), T0);
    await tick();
    // Folded now; the next calls stay in the journal until the next tick.
    expect(s.register('pep-01', NUMS.slice(2, 6), later(10))).toEqual({
      newNhsNumbers: NUMS.slice(4, 6),
      alreadyRegistered: 2,
    });
    expect(s.register('pep-docs', [NUMS[0]!], later(20))).toEqual({ newNhsNumbers: [NUMS[0]], alreadyRegistered: 0 });
    expect(s.register('pep-01', [NUMS[5]!], later(30))).toEqual({ newNhsNumbers: [], alreadyRegistered: 1 });
    expect(s.get('pep-01', NUMS[2]!)).toEqual({
      clientId: 'pep-01',
      nhsNumber: NUMS[2],
      firstSeen: T0.toISOString(),
      lastSeen: later(10).toISOString(),
      count: 2,
    });
    expect(s.get('pep-01', NUMS[5]!)).toMatchObject({
      firstSeen: later(10).toISOString(),
      lastSeen: later(30).toISOString(),
      count: 2,
    });
    expect(s.clientsFor(NUMS[0]!).map((r) => r.clientId)).toEqual(['pep-01', 'pep-docs']);
    const before = s.clientsFor(NUMS[2]!);
    expect(s.countDistinct('pep-01', later(5))).toBe(4);
    expect(s.countDistinct('pep-01')).toBe(6);
    expect(s.clientsFor(NUMS[2]!)).toEqual(before);
    expect(s.get('pep-01', NUMS[5]!)).toMatchObject({ count: 2 });
    s.close();
  });

  it('folds journal rows a crash left behind when it opens', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pca-rs-journal-'));
    try {
      const file = path.join(dir, 'r.sqlite');
      openRegistrationStore(file).close();
      const raw = new Database(file);
      const add = raw.prepare('INSERT INTO registration_journal (client_id, nhs_number, at) VALUES (?, ?, ?)');
      add.run('pep-01', NUMS[0], T0.getTime());
      add.run('pep-01', NUMS[0], later(5).getTime());
      add.run('pep-01', NUMS[1], later(9).getTime());
      raw.close();
      const s = openRegistrationStore(file);
      expect(s.get('pep-01', NUMS[0]!)).toEqual({
        clientId: 'pep-01',
        nhsNumber: NUMS[0],
        firstSeen: T0.toISOString(),
        lastSeen: later(5).toISOString(),
        count: 2,
      });
      expect(s.countDistinct('pep-01')).toBe(2);
      s.close();
      const check = new Database(file, { readonly: true });
      expect(check.prepare('SELECT count(*) AS n FROM registration_journal').get()).toEqual({ n: 0 });
      check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('persists to a WAL file that a second open reads back; reset clears it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pca-rs-store-'));
    try {
      const file = registrationStorePath(path.join(dir, 'state'));
      const a = openRegistrationStore(file);
      a.register('pep-01', NUMS, T0);
      a.close();
      const db = new Database(file, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
      const b = openRegistrationStore(file);
      expect(b.countDistinct('pep-01')).toBe(20);
      b.reset();
      expect(b.countDistinct('pep-01')).toBe(0);
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('group commit on a file', () => {
  it('resolves a call only once its commit is visible to another connection (the ack follows the commit)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pca-group-'));
    const file = registrationStorePath(dir);
    const store = openRegistrationStore(file);
    const reader = new Database(file, { readonly: true });
    const journalled = () =>
      (reader.prepare('SELECT count(*) AS n FROM registration_journal').get() as { n: number }).n;
    try {
      const pendingCalls = [0, 1, 2].map((i) =>
        store.commitCall({ clientId: 'pep-01', nhsNumbers: [NUMS[i]!], at: T0 }, () => draft()),
      );
      // Queued, not yet committed: nothing is durable, so nothing may be acknowledged yet.
      expect(journalled()).toBe(0);
      let acknowledged = 0;
      await Promise.all(
        pendingCalls.map((p) =>
          p.then(() => {
            // Every acknowledgement sees the whole group on disk through a separate connection.
            expect(journalled()).toBe(3);
            acknowledged += 1;
          }),
        ),
      );
      expect(acknowledged).toBe(3);
    } finally {
      reader.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
