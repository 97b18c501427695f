/**
 * The upload client's durable journal (WF-NFR-RS-01/02/04/06/09), in SQLite with synchronous=FULL:
 * an append-only log of acknowledgements (one row per NHS number per 200 received, so a client that
 * resends what was acknowledged shows up as duplicates) and a log of every attempt, failed ones
 * with the status and the reason, so what was not uploaded can be told and replayed.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type AttemptOutcome = 'acknowledged' | 'retrying' | 'failed';

export interface AttemptRecord {
  clientId: string;
  batchId: string;
  attempt: number;
  size: number;
  /** First index of the batch within this run's list, so a failure can be traced to the numbers it held (WF-NFR-RS-04). */
  firstIndex: number;
  outcome: AttemptOutcome;
  status?: number;
  detail?: string;
  at: Date;
}

export interface UploadJournal {
  readonly file: string;
  /** NHS numbers acknowledged for `clientId`, ever. */
  acknowledged(clientId: string): Set<string>;
  /** Appends one acknowledgement per number, in one transaction; durable when it returns. */
  recordAcknowledged(clientId: string, batchId: string, nhsNumbers: readonly string[], at: Date): void;
  recordAttempt(a: AttemptRecord): void;
  /** Distinct NHS numbers acknowledged for `clientId` up to `until` (reconciliation, WF-NFR-RS-06/09). */
  acknowledgedCount(clientId: string, until?: Date): number;
  /** How many times each NHS number was acknowledged for `clientId` (1 for a client that never resends). */
  acknowledgementCounts(clientId: string): Map<string, number>;
  attempts(clientId: string): AttemptRecord[];
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS acknowledgements (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id TEXT NOT NULL,
  nhs_number TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  acknowledged_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS acknowledgements_by_client ON acknowledgements (client_id, nhs_number);
CREATE TABLE IF NOT EXISTS attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  client_id TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  size INTEGER NOT NULL,
  first_index INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  status INTEGER,
  detail TEXT,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_by_client ON attempts (client_id);
`;

interface AttemptRow {
  client_id: string;
  batch_id: string;
  attempt: number;
  size: number;
  first_index: number;
  outcome: AttemptOutcome;
  status: number | null;
  detail: string | null;
  at: string;
}

export function openUploadJournal(file: string): UploadJournal {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: an acknowledgement that was recorded survives a power cut, not only a process crash.
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);

  const insertAck = db.prepare(
    'INSERT INTO acknowledgements (client_id, nhs_number, batch_id, acknowledged_at) VALUES (?, ?, ?, ?)',
  );
  const ackBatch = db.transaction((clientId: string, batchId: string, numbers: readonly string[], at: string) => {
    for (const n of numbers) insertAck.run(clientId, n, batchId, at);
  });
  const selectAcked = db.prepare('SELECT DISTINCT nhs_number FROM acknowledgements WHERE client_id = ?').pluck();
  const countAll = db.prepare('SELECT COUNT(DISTINCT nhs_number) FROM acknowledgements WHERE client_id = ?').pluck();
  // ISO-8601 UTC strings of one width sort as the instants they name.
  const countUntil = db
    .prepare('SELECT COUNT(DISTINCT nhs_number) FROM acknowledgements WHERE client_id = ? AND acknowledged_at <= ?')
    .pluck();
  const ackCounts = db.prepare(
    'SELECT nhs_number AS n, COUNT(*) AS c FROM acknowledgements WHERE client_id = ? GROUP BY nhs_number',
  );
  const insertAttempt = db.prepare(
    'INSERT INTO attempts (client_id, batch_id, attempt, size, first_index, outcome, status, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const selectAttempts = db.prepare('SELECT * FROM attempts WHERE client_id = ? ORDER BY id');

  return {
    file,
    acknowledged: (clientId) => new Set(selectAcked.all(clientId) as string[]),
    recordAcknowledged: (clientId, batchId, numbers, at) => ackBatch(clientId, batchId, numbers, at.toISOString()),
    recordAttempt: (a) => {
      insertAttempt.run(
        a.clientId,
        a.batchId,
        a.attempt,
        a.size,
        a.firstIndex,
        a.outcome,
        a.status ?? null,
        a.detail ?? null,
        a.at.toISOString(),
      );
    },
    acknowledgedCount: (clientId, until) =>
      (until ? countUntil.get(clientId, until.toISOString()) : countAll.get(clientId)) as number,
    acknowledgementCounts: (clientId) =>
      new Map((ackCounts.all(clientId) as Array<{ n: string; c: number }>).map((r) => [r.n, r.c])),
    attempts: (clientId) =>
      (selectAttempts.all(clientId) as AttemptRow[]).map((r) => ({
        clientId: r.client_id,
        batchId: r.batch_id,
        attempt: r.attempt,
        size: r.size,
        firstIndex: r.first_index,
        outcome: r.outcome,
        ...(r.status === null ? {} : { status: r.status }),
        ...(r.detail === null ? {} : { detail: r.detail }),
        at: new Date(r.at),
      })),
    close: () => db.close(),
  };
}
