/**
 * Registrations in SQLite: one row per (NHS number, clientId) with first/last seen and a count, and
 * the verdict of every call. Whatever was acknowledged with 200 survives `kill -9`: a call's
 * registrations and its verdict commit in one transaction before the answer is sent (WAL with
 * synchronous=FULL also survives a power cut). Listeners hear about every registering call after
 * its commit: that is how the pull scheduler learns of new patients.
 *
 * Why a journal: NHS numbers arrive in random order, so upserting a 5,000-number batch straight
 * into the keyed table dirties thousands of pages per commit (gigabytes written for a million
 * numbers). Each call instead appends to `registration_journal` (a few sequential pages) and the
 * journal is folded into `registrations` in bulk, every `foldEvery` rows, before any whole-table
 * query, at open (crash recovery) and at close. Lookups merge the unfolded tail, which is mirrored
 * in memory.
 *
 * Group commit: `commitCall` queues a call and resolves once the transaction holding it has
 * committed. Calls that arrive while the event loop is busy (concurrent connections) share one
 * transaction, so one fsync covers many acknowledgements; "200 means durable" holds because the
 * answer is sent only after that commit. A group that fails is retried call by call, so one bad
 * call cannot fail the others.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { redact } from '../../core/redact';
import type { RecordsCallVerdict } from './verdict';

export const REGISTRATION_DB_FILE = 'record-service.sqlite';

/** `<stateDir>/record-service.sqlite` */
export function registrationStorePath(stateDir: string): string {
  return path.join(stateDir, REGISTRATION_DB_FILE);
}

export interface Registration {
  clientId: string;
  nhsNumber: string;
  firstSeen: string;
  lastSeen: string;
  /** How many calls registered it (re-sends included). */
  count: number;
}

export interface RegisteredEvent {
  clientId: string;
  /** Every distinct number the call registered, new and re-sent. */
  nhsNumbers: string[];
  /** Those not registered for this client before the call. */
  newNhsNumbers: string[];
  at: Date;
}

export interface RegisterResult {
  newNhsNumbers: string[];
  alreadyRegistered: number;
}

export interface VerdictFilter {
  /** Matches the clientId in the body or the client the credential belongs to. */
  clientId?: string;
  since?: Date;
  /** Newest first; default 50, at most 1000. */
  limit?: number;
}

export interface RegistrationStore {
  readonly file: string;
  /** Registers distinct numbers for a client in one transaction and notifies listeners. */
  register(clientId: string, nhsNumbers: readonly string[], at: Date): RegisterResult;
  /**
   * Stores a call's verdict and, when given, its registrations in one transaction; returns the
   * verdict with its id and the registration result. `build` receives the registration result so
   * the verdict can carry the counts.
   */
  recordCall(
    registration: { clientId: string; nhsNumbers: readonly string[]; at: Date } | undefined,
    build: (result: RegisterResult) => Omit<RecordsCallVerdict, 'id'>,
  ): { verdict: RecordsCallVerdict; result: RegisterResult };
  /**
   * As `recordCall`, grouped with the other calls queued in the same turn of the event loop into one
   * transaction; resolves after the commit that covers it (answer the call only then).
   */
  commitCall(
    registration: { clientId: string; nhsNumbers: readonly string[]; at: Date } | undefined,
    build: (result: RegisterResult) => Omit<RecordsCallVerdict, 'id'>,
  ): Promise<{ verdict: RecordsCallVerdict; result: RegisterResult }>;
  /** Transactions committed by `commitCall` and the calls they held (how well grouping works). */
  groupStats(): { commits: number; calls: number };
  onRegistered(listener: (event: RegisteredEvent) => void): () => void;
  get(clientId: string, nhsNumber: string): Registration | undefined;
  /** Every client holding this patient: the aggregator's fan-out list. */
  clientsFor(nhsNumber: string): Registration[];
  /** A client's registrations in NHS-number order; page with `after`. */
  registrationsOf(clientId: string, opts?: { after?: string; limit?: number; until?: Date }): Registration[];
  /** Distinct NHS numbers first registered for the client at or before `until` (default: all). */
  countDistinct(clientId: string, until?: Date): number;
  /** Registered client ids with their counts. */
  clientCounts(): Array<{ clientId: string; count: number }>;
  verdicts(filter?: VerdictFilter): RecordsCallVerdict[];
  verdict(id: number): RecordsCallVerdict | undefined;
  /** Removes every registration and verdict (the harness's reset). */
  reset(): void;
  close(): void;
}

export interface StoreOptions {
  /** Verdicts kept (oldest dropped first); default 10,000. */
  maxVerdicts?: number;
  /** Called when a listener throws; listeners must not break a call that already committed. */
  onListenerError?: (e: unknown) => void;
  /** Journal rows that trigger a fold into the registrations table; default 100,000. */
  foldEvery?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS registrations (
  nhs_number TEXT NOT NULL,
  client_id TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (nhs_number, client_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS registration_journal (
  seq INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL,
  nhs_number TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS verdicts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  client_id TEXT,
  credential_client_id TEXT,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_by_client ON verdicts (client_id, at);
CREATE INDEX IF NOT EXISTS verdicts_by_credential ON verdicts (credential_client_id, at);
`;

/** Unfolded journal rows of one (client, number), as the fold will apply them. */
interface Pending {
  clientId: string;
  nhsNumber: string;
  first: number;
  last: number;
  count: number;
}

const pendingKey = (clientId: string, nhsNumber: string) => `${clientId}\u0000${nhsNumber}`;

interface RegistrationRow {
  client_id: string;
  nhs_number: string;
  first_seen: number;
  last_seen: number;
  count: number;
}

function toRegistration(r: RegistrationRow): Registration {
  return {
    clientId: r.client_id,
    nhsNumber: r.nhs_number,
    firstSeen: new Date(r.first_seen).toISOString(),
    lastSeen: new Date(r.last_seen).toISOString(),
    count: r.count,
  };
}

/** Opens (creating if needed) the store at `file`, or an in-memory one for `:memory:`. */
export function openRegistrationStore(file: string, opts: StoreOptions = {}): RegistrationStore {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  if (file !== ':memory:') {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Folds and lookups touch the whole keyed table; keep it in cache (a million registrations is about 50 MB).
    db.pragma('cache_size = -65536');
  }
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const maxVerdicts = opts.maxVerdicts ?? 10_000;
  const foldEvery = Math.max(1, opts.foldEvery ?? 100_000);
  const listeners = new Set<(e: RegisteredEvent) => void>();
  /** The journal's rows, aggregated per (client, number); empty right after a fold. */
  const pending = new Map<string, Pending>();
  const pendingClients = new Set<string>();
  let journalRows = 0;
  let foldScheduled: NodeJS.Immediate | undefined;

  const appendJournal = db.prepare<[string, string, number]>(
    'INSERT INTO registration_journal (client_id, nhs_number, at) VALUES (?, ?, ?)',
  );
  const folded = db.prepare<[string, string], RegistrationRow>(
    'SELECT * FROM registrations WHERE nhs_number = ? AND client_id = ?',
  );
  const foldStmt = db.prepare(
    `INSERT INTO registrations (nhs_number, client_id, first_seen, last_seen, count)
     SELECT nhs_number, client_id, min(at), max(at), count(*) FROM registration_journal WHERE true
     GROUP BY nhs_number, client_id ORDER BY nhs_number, client_id
     ON CONFLICT (nhs_number, client_id) DO UPDATE SET
       first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count`,
  );
  const clearJournal = db.prepare('DELETE FROM registration_journal');
  const insertVerdict = db.prepare<[number, string | null, string | null, string]>(
    'INSERT INTO verdicts (at, client_id, credential_client_id, body) VALUES (?, ?, ?, ?)',
  );
  const updateVerdictBody = db.prepare<[string, number | bigint]>('UPDATE verdicts SET body = ? WHERE id = ?');
  const pruneVerdicts = db.prepare<[number | bigint]>('DELETE FROM verdicts WHERE id <= ?');
  const byNumber = db.prepare<[string], RegistrationRow>(
    'SELECT * FROM registrations WHERE nhs_number = ? ORDER BY client_id',
  );
  const countUntil = db.prepare<[string, number], { n: number }>(
    'SELECT count(*) AS n FROM registrations WHERE client_id = ? AND first_seen <= ?',
  );
  const page = db.prepare<[string, string, number, number], RegistrationRow>(
    'SELECT * FROM registrations WHERE nhs_number > ? AND client_id = ? AND first_seen <= ? ORDER BY nhs_number LIMIT ?',
  );
  const perClient = db.prepare<[], { client_id: string; n: number }>(
    'SELECT client_id, count(*) AS n FROM registrations GROUP BY client_id ORDER BY client_id',
  );
  const oneVerdict = db.prepare<[number], { id: number; body: string }>('SELECT id, body FROM verdicts WHERE id = ?');

  const foldTx = db.transaction(() => {
    foldStmt.run();
    clearJournal.run();
  });

  function fold(): void {
    if (foldScheduled) {
      clearImmediate(foldScheduled);
      foldScheduled = undefined;
    }
    if (journalRows === 0 && pending.size === 0) return;
    foldTx();
    pending.clear();
    pendingClients.clear();
    journalRows = 0;
  }

  function scheduleFold(): void {
    // After the answer to the call that crossed the threshold has been written.
    if (journalRows >= foldEvery && !foldScheduled)
      foldScheduled = setImmediate(() => {
        foldScheduled = undefined;
        if (db.open) fold();
      });
  }

  // A crash may have left journal rows behind: fold them before anything reads.
  journalRows = (db.prepare('SELECT count(*) AS n FROM registration_journal').get() as { n: number }).n;
  fold();

  /**
   * Appends one call's distinct numbers to the journal (inside the caller's transaction) and
   * works out which are new; the in-memory mirror is updated only once the transaction commits.
   */
  function journal(
    clientId: string,
    nhsNumbers: readonly string[],
    atMs: number,
    /** What earlier calls of the same group staged, not yet in `pending`. */
    overlay?: Map<string, Pending>,
  ): { result: RegisterResult; staged: Pending[] } {
    const fresh: string[] = [];
    const staged: Pending[] = [];
    let already = 0;
    for (const n of nhsNumbers) {
      appendJournal.run(clientId, n, atMs);
      const key = pendingKey(clientId, n);
      const p = overlay?.get(key) ?? pending.get(key);
      if (p) {
        already += 1;
        staged.push({ ...p, first: Math.min(p.first, atMs), last: Math.max(p.last, atMs), count: p.count + 1 });
        continue;
      }
      if (folded.get(n, clientId)) already += 1;
      else fresh.push(n);
      staged.push({ clientId, nhsNumber: n, first: atMs, last: atMs, count: 1 });
    }
    if (overlay) for (const s of staged) overlay.set(pendingKey(s.clientId, s.nhsNumber), s);
    return { result: { newNhsNumbers: fresh, alreadyRegistered: already }, staged };
  }

  function applyStaged(staged: readonly Pending[]): void {
    for (const p of staged) {
      pending.set(pendingKey(p.clientId, p.nhsNumber), p);
      pendingClients.add(p.clientId);
    }
    journalRows += staged.length;
    scheduleFold();
  }

  function merged(row: RegistrationRow | undefined, p: Pending | undefined): Registration | undefined {
    if (!row && !p) return undefined;
    if (!row)
      return {
        clientId: p!.clientId,
        nhsNumber: p!.nhsNumber,
        firstSeen: new Date(p!.first).toISOString(),
        lastSeen: new Date(p!.last).toISOString(),
        count: p!.count,
      };
    if (!p) return toRegistration(row);
    return {
      clientId: row.client_id,
      nhsNumber: row.nhs_number,
      firstSeen: new Date(Math.min(row.first_seen, p.first)).toISOString(),
      lastSeen: new Date(Math.max(row.last_seen, p.last)).toISOString(),
      count: row.count + p.count,
    };
  }

  function notify(clientId: string, nhsNumbers: readonly string[], result: RegisterResult, at: Date): void {
    if (nhsNumbers.length === 0) return;
    const event: RegisteredEvent = { clientId, nhsNumbers: [...nhsNumbers], newNhsNumbers: result.newNhsNumbers, at };
    for (const l of listeners) {
      try {
        l(event);
      } catch (e) {
        opts.onListenerError?.(e);
      }
    }
  }

  const registerTx = db.transaction((clientId: string, nhsNumbers: readonly string[], atMs: number) =>
    journal(clientId, nhsNumbers, atMs),
  );

  type CallRegistration = { clientId: string; nhsNumbers: readonly string[]; at: Date } | undefined;
  type Build = (result: RegisterResult) => Omit<RecordsCallVerdict, 'id'>;

  /** One call's writes; runs inside a transaction (its own, or its group's). */
  const recordOne = (registration: CallRegistration, build: Build, overlay?: Map<string, Pending>) => {
    const j = registration
      ? journal(registration.clientId, registration.nhsNumbers, registration.at.getTime(), overlay)
      : { result: { newNhsNumbers: [], alreadyRegistered: 0 }, staged: [] };
    // Verdicts are written redacted whatever the caller built: they are shown to people and tools.
    const draft = redact(build(j.result));
    const info = insertVerdict.run(
      new Date(draft.at).getTime(),
      draft.clientId,
      draft.credential.clientId ?? null,
      '{}',
    );
    const id = Number(info.lastInsertRowid);
    const verdict: RecordsCallVerdict = { id, ...draft };
    updateVerdictBody.run(JSON.stringify(verdict), id);
    if (id % 100 === 0 && id > maxVerdicts) pruneVerdicts.run(id - maxVerdicts);
    return { verdict, result: j.result, staged: j.staged };
  };
  const recordTx = db.transaction((registration: CallRegistration, build: Build) => recordOne(registration, build));

  interface Queued {
    registration: CallRegistration;
    build: Build;
    resolve: (r: { verdict: RecordsCallVerdict; result: RegisterResult }) => void;
    reject: (e: unknown) => void;
  }
  let queue: Queued[] = [];
  let flushScheduled: NodeJS.Immediate | undefined;
  const stats = { commits: 0, calls: 0 };
  const groupTx = db.transaction((calls: readonly Queued[]) => {
    const overlay = new Map<string, Pending>();
    return calls.map((c) => recordOne(c.registration, c.build, overlay));
  });

  function settle(c: Queued, r: ReturnType<typeof recordOne>): void {
    applyStaged(r.staged);
    if (c.registration) notify(c.registration.clientId, c.registration.nhsNumbers, r.result, c.registration.at);
    c.resolve({ verdict: r.verdict, result: r.result });
  }

  function flush(): void {
    if (flushScheduled) clearImmediate(flushScheduled);
    flushScheduled = undefined;
    const calls = queue;
    queue = [];
    if (calls.length === 0) return;
    if (!db.open) {
      for (const c of calls) c.reject(new Error('the registration store is closed'));
      return;
    }
    let results: ReturnType<typeof recordOne>[] | undefined;
    try {
      results = groupTx(calls);
    } catch {
      results = undefined;
    }
    if (results) {
      stats.commits += 1;
      stats.calls += calls.length;
      calls.forEach((c, i) => settle(c, results[i]!));
      return;
    }
    // The group rolled back: commit each call alone, so only a call that fails by itself fails.
    for (const c of calls) {
      try {
        const r = recordTx(c.registration, c.build);
        stats.commits += 1;
        stats.calls += 1;
        settle(c, r);
      } catch (e) {
        c.reject(e);
      }
    }
  }

  return {
    file,
    register(clientId, nhsNumbers, at) {
      const unique = [...new Set(nhsNumbers)];
      const { result, staged } = registerTx(clientId, unique, at.getTime());
      applyStaged(staged);
      notify(clientId, unique, result, at);
      return result;
    },
    recordCall(registration, build) {
      const unique = registration ? { ...registration, nhsNumbers: [...new Set(registration.nhsNumbers)] } : undefined;
      const { verdict, result, staged } = recordTx(unique, build);
      applyStaged(staged);
      if (unique) notify(unique.clientId, unique.nhsNumbers, result, unique.at);
      return { verdict, result };
    },
    commitCall(registration, build) {
      const unique = registration ? { ...registration, nhsNumbers: [...new Set(registration.nhsNumbers)] } : undefined;
      return new Promise((resolve, reject) => {
        queue.push({ registration: unique, build, resolve, reject });
        // After the other requests already read in this turn of the event loop have queued theirs.
        flushScheduled ??= setImmediate(flush);
      });
    },
    groupStats: () => ({ ...stats }),
    onRegistered(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    get(clientId, nhsNumber) {
      return merged(folded.get(nhsNumber, clientId), pending.get(pendingKey(clientId, nhsNumber)));
    },
    clientsFor(nhsNumber) {
      const rows = new Map(byNumber.all(nhsNumber).map((r) => [r.client_id, r]));
      const ids = new Set(rows.keys());
      for (const id of pendingClients) if (pending.has(pendingKey(id, nhsNumber))) ids.add(id);
      return [...ids].sort().map((id) => merged(rows.get(id), pending.get(pendingKey(id, nhsNumber)))!);
    },
    registrationsOf(clientId, o = {}) {
      fold();
      const limit = Math.max(1, Math.min(o.limit ?? 1000, 100_000));
      return page
        .all(o.after ?? '', clientId, o.until ? o.until.getTime() : Number.MAX_SAFE_INTEGER, limit)
        .map(toRegistration);
    },
    countDistinct(clientId, until) {
      fold();
      return countUntil.get(clientId, until ? until.getTime() : Number.MAX_SAFE_INTEGER)?.n ?? 0;
    },
    clientCounts() {
      fold();
      return perClient.all().map((r) => ({ clientId: r.client_id, count: r.n }));
    },
    verdicts(filter = {}) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (filter.clientId !== undefined) {
        where.push('(client_id = ? OR credential_client_id = ?)');
        params.push(filter.clientId, filter.clientId);
      }
      if (filter.since) {
        where.push('at >= ?');
        params.push(filter.since.getTime());
      }
      const limit = Math.max(1, Math.min(filter.limit ?? 50, 1000));
      const sql = `SELECT body FROM verdicts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`;
      return db
        .prepare<Array<string | number>, { body: string }>(sql)
        .all(...params)
        .map((r) => JSON.parse(r.body) as RecordsCallVerdict);
    },
    verdict(id) {
      const r = oneVerdict.get(id);
      return r ? (JSON.parse(r.body) as RecordsCallVerdict) : undefined;
    },
    reset() {
      if (foldScheduled) clearImmediate(foldScheduled);
      foldScheduled = undefined;
      db.exec('DELETE FROM registrations; DELETE FROM registration_journal; DELETE FROM verdicts;');
      pending.clear();
      pendingClients.clear();
      journalRows = 0;
    },
    close() {
      if (db.open) flush();
      listeners.clear();
      if (!db.open) return;
      fold();
      db.close();
    },
  };
}
