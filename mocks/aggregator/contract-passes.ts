/**
 * Recorded contract passes. INT onboards a supplier (and starts pulling from it) only after its
 * contract checks pass; a client with `requireContractPass` is pulled from only once `check` (or a
 * person) has recorded a pass here with `POST /_harness/clients/:clientId/contract-pass`. Kept in
 * SQLite so a pass survives a restart of `serve` with the same state directory.
 */
import type Database from 'better-sqlite3';

/**
 * The file a `check` run writes a pass into when no platform is running (`<stateDir>/contract-pass.json`),
 * which the next `serve` imports.
 */
export const CONTRACT_PASS_FILE = 'contract-pass.json';

export interface ContractPassFile {
  passes: Array<{
    clientId: string;
    passedAt: string;
    supplierUrl: string;
    summary: { pass: number; skip: number; total: number };
    report?: string;
  }>;
}

export interface ContractPass {
  clientId: string;
  /** ISO instant. */
  passedAt: string;
  /** Whatever the recorder sent along (suite names, report location); shown back as is. */
  detail?: Record<string, unknown>;
}

interface Row {
  client_id: string;
  passed_at: string;
  detail: string | null;
}

export class ContractPasses {
  private readonly cache = new Map<string, ContractPass>();

  constructor(private readonly db: Database.Database) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS aggregator_contract_passes (client_id TEXT PRIMARY KEY, passed_at TEXT NOT NULL, detail TEXT)',
    );
    for (const r of db.prepare('SELECT * FROM aggregator_contract_passes').all() as Row[])
      this.cache.set(r.client_id, fromRow(r));
  }

  record(clientId: string, passedAt: Date, detail?: Record<string, unknown>): ContractPass {
    const pass: ContractPass = { clientId, passedAt: passedAt.toISOString(), ...(detail ? { detail } : {}) };
    this.db
      .prepare(
        'INSERT INTO aggregator_contract_passes (client_id, passed_at, detail) VALUES (?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET passed_at = excluded.passed_at, detail = excluded.detail',
      )
      .run(clientId, pass.passedAt, detail ? JSON.stringify(detail) : null);
    this.cache.set(clientId, pass);
    return pass;
  }

  revoke(clientId: string): boolean {
    this.db.prepare('DELETE FROM aggregator_contract_passes WHERE client_id = ?').run(clientId);
    return this.cache.delete(clientId);
  }

  get(clientId: string): ContractPass | undefined {
    return this.cache.get(clientId);
  }

  has(clientId: string): boolean {
    return this.cache.has(clientId);
  }

  list(): ContractPass[] {
    return [...this.cache.values()];
  }
}

function fromRow(r: Row): ContractPass {
  let detail: Record<string, unknown> | undefined;
  try {
    detail = r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : undefined;
  } catch {
    detail = undefined;
  }
  return { clientId: r.client_id, passedAt: r.passed_at, ...(detail ? { detail } : {}) };
}
