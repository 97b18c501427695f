/**
 * The pull scheduler: when the Record Service registers patients for a clientId, the aggregator asks
 * that supplier about each of them, at no more than the configured rate (platform.pullRate, 25 TPS by
 * default), each pull with a cached bearer, a freshly minted NHS login ID token for the patient and a
 * new X-Correlation-ID. Every outcome is stored; `results()` hands full records to in-process callers
 * (replay), `summary()` tells progress. Work waits in a queue and is paced by a token bucket, so a
 * 5,000-number upload never floods a supplier.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../../core/clock';
import type { ProducerResourceType } from '../../core/fhir';
import { type Logger, silentLogger } from '../../core/logger';
import { type PullTarget, pullTarget, type SupplierDirectory } from './directory';
import { CLIENT_TIMEOUT_MS } from '../../core/deadline';
import type { NewPullRecord, OutcomeCounts, PullFilter, PullRecord, PullStore } from './pull-store';
import { TokenBucket } from './rate';
import { type BearerTokenCache, callSupplier, type ProducerBundleValidator, resourceUrl } from './upstream';

export const DEFAULT_PULL_RATE = 25;

export interface PullSchedulerDeps {
  directory: SupplierDirectory;
  store: PullStore;
  tokens: BearerTokenCache;
  /** Mints an NHS login ID token for the patient (birth date from the pack, or an adult default). */
  idTokenFor: (nhsNumber: string) => Promise<string>;
  validate: ProducerBundleValidator;
  /** Pulls per second, at most. */
  rate?: number;
  timeoutMs?: number;
  /** A ceiling on concurrent pulls, so a supplier that hangs cannot pile up sockets without bound. */
  maxInFlight?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Job {
  clientId: string;
  nhsNumber: string;
}

export interface ScheduleResult {
  clientId: string;
  /** Pulls added to the queue. */
  queued: number;
  /** Already waiting in the queue (one pull covers them). */
  alreadyQueued: number;
  /** Set when nothing can be pulled for this clientId, and why. */
  notPullable?: Extract<PullTarget, { ok: false }>;
}

export interface PullSummary extends OutcomeCounts {
  /** Queued plus in flight: what `replay` waits on. */
  pending: number;
  queued: number;
  inFlight: number;
  rate: number;
  stopped: boolean;
}

export class PullScheduler {
  private readonly queue: Job[] = [];
  private readonly queuedKeys = new Set<string>();
  private readonly inFlightJobs = new Map<string, Job>();
  private readonly bucket: TokenBucket;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  readonly rate: number;

  constructor(private readonly deps: PullSchedulerDeps) {
    this.rate = deps.rate ?? DEFAULT_PULL_RATE;
    this.bucket = new TokenBucket(this.rate, 1);
    this.clock = deps.clock ?? systemClock;
    this.log = (deps.logger ?? silentLogger()).child({ component: 'pull-scheduler' });
    // Above the producer's 9,000 ms deadline (producer:WF-NFR-02), so a late answer is recorded with its
    // status and latency, and replay can name a late 200 instead of the pull timing out first.
    this.timeoutMs = deps.timeoutMs ?? CLIENT_TIMEOUT_MS;
    // Enough for the rate to be reached when every pull takes the full timeout, with a floor.
    this.maxInFlight = deps.maxInFlight ?? Math.max(8, Math.ceil((this.rate * this.timeoutMs) / 1000));
  }

  /** Queues a pull of each patient from the supplier mapped to `clientId`. Duplicates already queued are merged. */
  schedule(clientId: string, nhsNumbers: readonly string[]): ScheduleResult {
    const target = pullTarget(this.deps.directory, clientId);
    if (!target.ok) {
      this.log.info(
        { clientId, reason: target.reason, count: nhsNumbers.length },
        'registrations not pulled: %s',
        target.message,
      );
      return { clientId, queued: 0, alreadyQueued: 0, notPullable: target };
    }
    if (this.stopped) return { clientId, queued: 0, alreadyQueued: nhsNumbers.length };
    let queued = 0;
    let alreadyQueued = 0;
    for (const nhsNumber of nhsNumbers) {
      const key = `${clientId}\u0000${nhsNumber}`;
      if (this.queuedKeys.has(key)) {
        alreadyQueued += 1;
        continue;
      }
      this.queuedKeys.add(key);
      this.queue.push({ clientId, nhsNumber });
      queued += 1;
    }
    if (queued > 0) this.log.debug({ clientId, queued }, 'pulls scheduled');
    this.pump();
    return { clientId, queued, alreadyQueued };
  }

  /** Queued plus in flight. */
  get pending(): number {
    return this.queue.length + this.inFlightJobs.size;
  }

  summary(filter: Omit<PullFilter, 'limit' | 'nhsNumber'> = {}): PullSummary {
    const match = (j: Job) => filter.clientId === undefined || j.clientId === filter.clientId;
    const queued = this.queue.filter(match).length;
    const inFlight = [...this.inFlightJobs.values()].filter(match).length;
    return {
      ...this.deps.store.counts(filter),
      pending: queued + inFlight,
      queued,
      inFlight,
      rate: this.rate,
      stopped: this.stopped,
    };
  }

  /** Full pull records (NHS numbers and bodies unmasked), newest first: for in-process callers only. */
  results(filter: PullFilter = {}): PullRecord[] {
    return this.deps.store.list(filter);
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops starting pulls, drops the queue and waits for pulls in flight (each bounded by its timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const j of this.queue) this.queuedKeys.delete(`${j.clientId}\u0000${j.nhsNumber}`);
    this.queue.length = 0;
    this.notifyIfIdle();
    await this.idle();
  }

  private notifyIfIdle(): void {
    if (this.pending !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(): void {
    if (this.stopped || this.timer) return;
    while (this.queue.length > 0 && this.inFlightJobs.size < this.maxInFlight) {
      const wait = this.bucket.take();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const job = this.queue.shift()!;
      const key = `${job.clientId}\u0000${job.nhsNumber}`;
      this.queuedKeys.delete(key);
      // A re-registration while this pull runs queues another pull, which starts after this one.
      const runKey = `${key}\u0000${randomUUID()}`;
      this.inFlightJobs.set(runKey, job);
      void this.run(job).finally(() => {
        this.inFlightJobs.delete(runKey);
        this.notifyIfIdle();
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const correlationId = randomUUID();
    const requestedAt = this.clock.now().toISOString();
    // Re-read the client: its endpoint may have changed (or been removed) since the job was queued.
    const target = pullTarget(this.deps.directory, job.clientId);
    if (!target.ok) {
      this.record({
        ...job,
        resourceType: this.deps.directory.client(job.clientId)?.resourceType ?? 'Appointment',
        url: '',
        correlationId,
        requestedAt,
        outcome: 'error',
        latencyMs: 0,
        message: target.message,
      });
      return;
    }
    const resourceType: ProducerResourceType = target.resourceType;
    const url = resourceUrl(target.endpoint, resourceType, job.nhsNumber);
    let idToken: string;
    try {
      idToken = await this.deps.idTokenFor(job.nhsNumber);
    } catch (e) {
      this.record({
        ...job,
        resourceType,
        url,
        correlationId,
        requestedAt,
        outcome: 'error',
        latencyMs: 0,
        message: `could not mint an ID token: ${(e as Error).message}`,
      });
      return;
    }
    const outcome = await callSupplier(
      {
        endpoint: target.endpoint,
        resourceType,
        nhsNumber: job.nhsNumber,
        idToken,
        correlationId,
        timeoutMs: this.timeoutMs,
      },
      this.deps.tokens,
      this.deps.validate,
    );
    const base = { ...job, resourceType, url, correlationId, requestedAt, latencyMs: outcome.latencyMs };
    switch (outcome.kind) {
      case 'ok':
        this.record({
          ...base,
          outcome: 'ok',
          status: outcome.status,
          schema: { valid: true, diagnostics: [] },
          body: outcome.bundle,
          bodyText: outcome.text,
        });
        break;
      case 'invalid':
        this.record({
          ...base,
          outcome: 'invalid',
          status: outcome.status,
          schema: { valid: false, diagnostics: outcome.diagnostics },
          body: outcome.body,
          bodyText: outcome.text,
        });
        break;
      case 'http-error':
        this.record({
          ...base,
          outcome: 'http-error',
          status: outcome.status,
          body: outcome.body,
          bodyText: outcome.text,
        });
        break;
      case 'timeout':
        this.record({ ...base, outcome: 'timeout', message: `no answer within ${outcome.timeoutMs} ms` });
        break;
      case 'error':
        this.record({ ...base, outcome: 'error', message: outcome.message });
        break;
    }
  }

  private record(r: NewPullRecord): void {
    try {
      this.deps.store.add(r);
    } catch (e) {
      // The database may be closed under a stopping platform; the pull itself is over either way.
      this.log.warn({ err: e }, 'could not store a pull result');
    }
    const line = {
      clientId: r.clientId,
      nhsNumber: r.nhsNumber,
      correlationId: r.correlationId,
      outcome: r.outcome,
      status: r.status,
      latencyMs: Math.round(r.latencyMs),
    };
    if (r.outcome === 'ok') this.log.debug(line, 'pull done');
    else this.log.info({ ...line, message: r.message }, 'pull failed');
  }
}
