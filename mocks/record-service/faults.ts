/**
 * Fault injection for the Record Service, per clientId: answer a configured fraction of calls with
 * 500/503/504, add latency, or hang until the service's timeout and answer 504 (the spec's 30 s,
 * shortened in tests). Decisions come from a seeded generator per client, so a run with the same
 * seed and the same order of calls fails the same calls. Faulted calls register nothing.
 */
import type { FaultConfig } from '../../core/config';
import { seededRandom } from '../../core/nhs-number';
import { validateAgainst, formatDiagnostic } from '../../core/schema';
import { CLIENT_SCHEMA, type ClientRegistry } from './clients';

/** The Record Service's own timeout (spec: "times out after 30s, returning HTTP status 504"). */
export const RECORD_SERVICE_TIMEOUT_MS = 30_000;

export interface RuntimeFaultConfig extends FaultConfig {
  /** How long an emulated timeout hangs before its 504; default the injector's timeout. */
  timeoutMs?: number;
}

export type FaultStatus = 500 | 503 | 504;

export interface FaultDecision {
  /** Added before the call is handled, faulted or not. */
  latencyMs: number;
  fault?: { status: FaultStatus; kind: 'error' | 'timeout'; waitMs: number };
}

export interface FaultStats {
  clientId: string;
  source: 'config' | 'runtime';
  config: RuntimeFaultConfig;
  calls: number;
  faulted: number;
}

interface ClientState {
  config: RuntimeFaultConfig;
  source: 'config' | 'runtime';
  random: () => number;
  calls: number;
  faulted: number;
}

export class FaultValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`fault configuration is invalid: ${problems.join('; ')}`);
    this.name = 'FaultValidationError';
  }
}

const FAULT_SCHEMA = {
  ...CLIENT_SCHEMA.properties.faults,
  properties: {
    ...CLIENT_SCHEMA.properties.faults.properties,
    timeoutMs: { type: 'integer', minimum: 0, maximum: 120_000 },
  },
};

export function validateFaultConfig(value: unknown): RuntimeFaultConfig {
  const check = validateAgainst(FAULT_SCHEMA, value);
  if (!check.valid) throw new FaultValidationError(check.diagnostics.map(formatDiagnostic));
  const cfg = value as RuntimeFaultConfig;
  const total = Object.values(cfg.errorRates ?? {}).reduce((a, b) => a + (b ?? 0), 0) + (cfg.timeoutRate ?? 0);
  if (total > 1 + 1e-9)
    throw new FaultValidationError([`errorRates and timeoutRate add up to ${total}; together they must be at most 1`]);
  return cfg;
}

export interface FaultInjectorOptions {
  /** Clients whose `faults` config applies unless overridden at runtime. */
  clients?: ClientRegistry;
  /** Default hang of an emulated timeout (default 30 s). */
  timeoutMs?: number;
}

export class FaultInjector {
  private readonly runtime = new Map<string, RuntimeFaultConfig>();
  private readonly states = new Map<string, ClientState>();
  readonly timeoutMs: number;

  constructor(private readonly opts: FaultInjectorOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? RECORD_SERVICE_TIMEOUT_MS;
  }

  /** Overrides (or adds) faults for a client at runtime; restarts its seeded sequence. */
  set(clientId: string, config: RuntimeFaultConfig): void {
    this.runtime.set(clientId, validateFaultConfig(config));
    this.states.delete(clientId);
  }

  /** Drops a runtime override (the client's configured faults apply again). */
  clear(clientId: string): boolean {
    this.states.delete(clientId);
    return this.runtime.delete(clientId);
  }

  clearAll(): void {
    this.runtime.clear();
    this.states.clear();
  }

  configFor(clientId: string): { config: RuntimeFaultConfig; source: 'config' | 'runtime' } | undefined {
    const r = this.runtime.get(clientId);
    if (r) return { config: r, source: 'runtime' };
    const c = this.opts.clients?.get(clientId)?.faults;
    return c ? { config: c, source: 'config' } : undefined;
  }

  /** Decides the fate of one call for `clientId`; advances that client's sequence. */
  decide(clientId: string | undefined): FaultDecision {
    if (clientId === undefined) return { latencyMs: 0 };
    const found = this.configFor(clientId);
    if (!found) return { latencyMs: 0 };
    let st = this.states.get(clientId);
    // A changed configuration (runtime PUT, or the client replaced in the registry) restarts the sequence.
    if (!st || st.config !== found.config) {
      st = {
        config: found.config,
        source: found.source,
        random: seededRandom(found.config.seed ?? 1),
        calls: 0,
        faulted: 0,
      };
      this.states.set(clientId, st);
    }
    st.calls += 1;
    const cfg = found.config;
    const latencyMs = cfg.latencyMs ?? 0;
    const r = st.random();
    let edge = 0;
    for (const status of [500, 503, 504] as const) {
      edge += cfg.errorRates?.[String(status) as '500' | '503' | '504'] ?? 0;
      if (r < edge) {
        st.faulted += 1;
        return { latencyMs, fault: { status, kind: 'error', waitMs: 0 } };
      }
    }
    edge += cfg.timeoutRate ?? 0;
    if (r < edge) {
      st.faulted += 1;
      return { latencyMs, fault: { status: 504, kind: 'timeout', waitMs: cfg.timeoutMs ?? this.timeoutMs } };
    }
    return { latencyMs };
  }

  stats(): FaultStats[] {
    const ids = new Set<string>([
      ...this.runtime.keys(),
      ...(this.opts.clients
        ?.list()
        .filter((c) => c.faults)
        .map((c) => c.clientId) ?? []),
    ]);
    return [...ids].sort().map((clientId) => {
      const found = this.configFor(clientId)!;
      const st = this.states.get(clientId);
      return { clientId, source: found.source, config: found.config, calls: st?.calls ?? 0, faulted: st?.faulted ?? 0 };
    });
  }
}
