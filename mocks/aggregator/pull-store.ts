/**
 * Every pull the aggregator makes, kept in SQLite (a table beside the registrations): what was asked,
 * what came back (status, latency, schema verdict, the body) and under which correlation id. `replay`
 * compares the kept bodies against the pack (EVA); `/_harness/pulls` lists them with NHS numbers masked.
 */
import type Database from 'better-sqlite3';
import type { ProducerResourceType } from '../../core/fhir';
import type { SchemaDiagnostic } from '../../core/schema';
import type { UpstreamKind } from './upstream';

export interface PullRecord {
  id: number;
  clientId: string;
  nhsNumber: string;
  resourceType: ProducerResourceType;
  /** The URL called (it carries the NHS number: masked in listings). */
  url: string;
  correlationId: string;
  /** When the pull started, ISO instant. */
  requestedAt: string;
  outcome: UpstreamKind;
  /** HTTP status, absent when no response arrived (timeout, unreachable). */
  status?: number;
  latencyMs: number;
  /** Schema verdict of a 200 body; absent when there was no 200 body to judge. */
  schema?: { valid: boolean; diagnostics: SchemaDiagnostic[] };
  /** Why a pull without a response failed. */
  message?: string;
  /** The parsed body when it was JSON. */
  body?: unknown;
  /** The body as received. */
  bodyText?: string;
}

export type NewPullRecord = Omit<PullRecord, 'id'>;

export interface PullFilter {
  clientId?: string;
  nhsNumber?: string;
  /** ISO instant: pulls requested at or after it. */
  since?: string;
  limit?: number;
}

export interface OutcomeCounts {
  total: number;
  done: number;
  failed: number;
  byOutcome: Partial<Record<UpstreamKind, number>>;
}

interface Row {
  id: number;
  client_id: string;
  nhs_number: string;
  resource_type: string;
  url: string;
  correlation_id: string;
  requested_at: string;
  outcome: string;
  status: number | null;
  latency_ms: number;
  schema_valid: number | null;
  diagnostics: string | null;
  message: string | null;
  body: string | null;
}

export const PULLS_TABLE = 'aggregator_pulls';

/** Bodies above this are cut in the store: a pull that returns megabytes is itself the finding. */
const MAX_BODY_CHARS = 2_000_000;

export class PullStore {
  private readonly insertStmt: Database.Statement<[Record<string, unknown>]>;

  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${PULLS_TABLE} (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id TEXT NOT NULL,
        nhs_number TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        url TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        latency_ms REAL NOT NULL,
        schema_valid INTEGER,
        diagnostics TEXT,
        message TEXT,
        body TEXT
      );
      CREATE INDEX IF NOT EXISTS ${PULLS_TABLE}_client ON ${PULLS_TABLE} (client_id, requested_at);
      CREATE INDEX IF NOT EXISTS ${PULLS_TABLE}_patient ON ${PULLS_TABLE} (nhs_number);
    `);
    this.insertStmt = db.prepare(`
      INSERT INTO ${PULLS_TABLE} (client_id, nhs_number, resource_type, url, correlation_id, requested_at, outcome, status, latency_ms, schema_valid, diagnostics, message, body)
      VALUES (@clientId, @nhsNumber, @resourceType, @url, @correlationId, @requestedAt, @outcome, @status, @latencyMs, @schemaValid, @diagnostics, @message, @body)
    `);
  }

  add(r: NewPullRecord): PullRecord {
    const body = r.bodyText === undefined ? null : r.bodyText.slice(0, MAX_BODY_CHARS);
    const info = this.insertStmt.run({
      clientId: r.clientId,
      nhsNumber: r.nhsNumber,
      resourceType: r.resourceType,
      url: r.url,
      correlationId: r.correlationId,
      requestedAt: r.requestedAt,
      outcome: r.outcome,
      status: r.status ?? null,
      latencyMs: Math.round(r.latencyMs * 10) / 10,
      schemaValid: r.schema === undefined ? null : r.schema.valid ? 1 : 0,
      diagnostics: r.schema && !r.schema.valid ? JSON.stringify(r.schema.diagnostics) : null,
      message: r.message ?? null,
      body,
    });
    return { ...r, id: Number(info.lastInsertRowid) };
  }

  private where(f: PullFilter): { sql: string; params: Record<string, unknown> } {
    const clauses: string[] = [];
    const params: Record<string, unknown> = {};
    if (f.clientId !== undefined) {
      clauses.push('client_id = @clientId');
      params.clientId = f.clientId;
    }
    if (f.nhsNumber !== undefined) {
      clauses.push('nhs_number = @nhsNumber');
      params.nhsNumber = f.nhsNumber;
    }
    if (f.since !== undefined) {
      clauses.push('requested_at >= @since');
      params.since = f.since;
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  /** Newest first. */
  list(f: PullFilter = {}): PullRecord[] {
    const { sql, params } = this.where(f);
    const limit = f.limit === undefined ? -1 : Math.max(0, Math.floor(f.limit));
    const rows = this.db
      .prepare(`SELECT * FROM ${PULLS_TABLE} ${sql} ORDER BY id DESC LIMIT ${limit}`)
      .all(params) as Row[];
    return rows.map(fromRow);
  }

  counts(f: Omit<PullFilter, 'limit'> = {}): OutcomeCounts {
    const { sql, params } = this.where(f);
    const rows = this.db
      .prepare(`SELECT outcome, COUNT(*) AS n FROM ${PULLS_TABLE} ${sql} GROUP BY outcome`)
      .all(params) as Array<{ outcome: UpstreamKind; n: number }>;
    const byOutcome: OutcomeCounts['byOutcome'] = {};
    let total = 0;
    for (const r of rows) {
      byOutcome[r.outcome] = r.n;
      total += r.n;
    }
    const done = byOutcome.ok ?? 0;
    return { total, done, failed: total - done, byOutcome };
  }
}

function fromRow(r: Row): PullRecord {
  let body: unknown;
  if (r.body !== null) {
    try {
      body = JSON.parse(r.body) as unknown;
    } catch {
      body = undefined;
    }
  }
  return {
    id: r.id,
    clientId: r.client_id,
    nhsNumber: r.nhs_number,
    resourceType: r.resource_type as ProducerResourceType,
    url: r.url,
    correlationId: r.correlation_id,
    requestedAt: r.requested_at,
    outcome: r.outcome as UpstreamKind,
    ...(r.status !== null ? { status: r.status } : {}),
    latencyMs: r.latency_ms,
    ...(r.schema_valid !== null
      ? {
          schema: {
            valid: r.schema_valid === 1,
            diagnostics: r.diagnostics ? (JSON.parse(r.diagnostics) as SchemaDiagnostic[]) : [],
          },
        }
      : {}),
    ...(r.message !== null ? { message: r.message } : {}),
    ...(body !== undefined ? { body } : {}),
    ...(r.body !== null ? { bodyText: r.body } : {}),
  };
}
