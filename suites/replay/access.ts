/**
 * How replay reaches the mock platform, the same way whether the platform runs in this process
 * (replay started it, or `demo` did) or is a `pca-harness serve` somewhere else (`--platform-url`).
 * In process, everything is read directly (pull bodies unmasked); remotely, through the harness
 * admin API, whose pull listings mask NHS numbers, bodies included (`masked` says so).
 */
import { adminHeaders } from '../../core/admin-token';
import type { ClientConfig } from '../../core/config';
import type { SupplierAccess } from '../../core/access';
import { ConfigError } from '../../core/config';
import type { ProducerResourceType } from '../../core/fhir';
import { fetchWithTimeout } from '../../core/http';
import { pullTarget } from '../../mocks/aggregator/directory';
import type { UpstreamKind } from '../../mocks/aggregator/upstream';
import type { Platform, PlatformUrls } from '../../mocks/platform';
import { platformUrls } from '../../mocks/platform';
import { ClientValidationError } from '../../mocks/record-service/clients';
import { fetchRegisteredNumbers, PlatformResponseError } from '../../mocks/record-service/remote';

/** What replay needs to know about a client on the platform. */
export interface ClientState {
  clientId: string;
  resourceType: ProducerResourceType;
  /** The whole configuration, secrets included, when this process can see it (in process only). */
  config?: ClientConfig;
  /** Whether the client has an API key (its value is known only through `config`). */
  hasApiKey: boolean;
  endpoint?: { url: string; path?: string; authType: SupplierAccess['type'] };
  requireContractPass: boolean;
  pulls: { enabled: boolean; reason?: string; message?: string };
}

export interface PullProgress {
  /** Queued plus in flight. */
  pending: number;
  /** Pulls finished (any outcome). */
  total: number;
  failed: number;
}

/** The parts of one stored pull that EVA compares. */
export interface PulledResponse {
  outcome: UpstreamKind;
  status?: number;
  body?: unknown;
  bodyText?: string;
  message?: string;
  latencyMs: number;
  schemaValid?: boolean;
}

export interface PlatformInfo {
  mode: string;
  profile: 'int' | 'prod';
  rate: number;
}

export interface PlatformAccess {
  readonly urls: PlatformUrls;
  readonly inProcess: boolean;
  /** True when pull bodies come back with NHS numbers masked (compare against a masked pack). */
  readonly masked: boolean;
  /** The platform's admin token, sent to its admin routes (needed when it listens beyond loopback). */
  readonly adminToken?: string;
  info(): Promise<PlatformInfo>;
  listClients(): Promise<ClientState[]>;
  client(clientId: string): Promise<ClientState | undefined>;
  /** Adds or replaces a client; a configuration the platform refuses is a ConfigError. */
  putClient(client: ClientConfig): Promise<ClientState>;
  /** NHS numbers registered for the client, first registered at or before `until` when given. */
  registered(clientId: string, until?: Date): Promise<string[]>;
  schedule(clientId: string, nhsNumbers: readonly string[]): Promise<void>;
  progress(clientId: string, since: string): Promise<PullProgress>;
  /** The newest pull since `since` of each of these patients that has one. */
  latestPulls(clientId: string, nhsNumbers: readonly string[], since: string): Promise<Map<string, PulledResponse>>;
}

const REGISTRATION_PAGE = 10_000;

export function inProcessAccess(platform: Platform): PlatformAccess {
  const directory = {
    client: (id: string) => platform.clients.get(id),
    contractPassed: (id: string) => platform.passes.has(id),
  };
  const state = (c: ClientConfig): ClientState => {
    const t = pullTarget(directory, c.clientId);
    return {
      clientId: c.clientId,
      resourceType: c.resourceType,
      config: structuredClone(c),
      hasApiKey: Boolean(c.apiKey),
      ...(c.endpoint
        ? {
            endpoint: {
              url: c.endpoint.url,
              ...(c.endpoint.path ? { path: c.endpoint.path } : {}),
              authType: c.endpoint.auth.type,
            },
          }
        : {}),
      requireContractPass: Boolean(c.requireContractPass),
      pulls: t.ok ? { enabled: true } : { enabled: false, reason: t.reason, message: t.message },
    };
  };
  return {
    get urls() {
      return platform.urls();
    },
    inProcess: true,
    get adminToken() {
      return platform.admin().token;
    },
    masked: false,
    async info() {
      const health = await fetchWithTimeout<{ mode?: string; profile?: string }>(platform.urls().health);
      return {
        mode: health.json?.mode ?? 'strict',
        profile: health.json?.profile === 'prod' ? 'prod' : 'int',
        rate: platform.scheduler.rate,
      };
    },
    async listClients() {
      return platform.clients.list().map(state);
    },
    async client(clientId) {
      const c = platform.clients.get(clientId);
      return c ? state(c) : undefined;
    },
    async putClient(client) {
      try {
        return state(platform.clients.upsert(client));
      } catch (e) {
        if (e instanceof ClientValidationError)
          throw new ConfigError(`the platform refused client ${client.clientId}: ${e.message}`);
        throw e;
      }
    },
    async registered(clientId, until) {
      const out: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = platform.store.registrationsOf(clientId, {
          after,
          limit: REGISTRATION_PAGE,
          ...(until ? { until } : {}),
        });
        for (const r of page) out.push(r.nhsNumber);
        if (page.length < REGISTRATION_PAGE) return out;
        after = page[page.length - 1]!.nhsNumber;
      }
    },
    async schedule(clientId, nhsNumbers) {
      if (nhsNumbers.length) platform.scheduler.schedule(clientId, nhsNumbers);
    },
    async progress(clientId, since) {
      const s = platform.scheduler.summary({ clientId, since });
      return { pending: s.pending, total: s.total, failed: s.failed };
    },
    async latestPulls(clientId, nhsNumbers, since) {
      const wanted = new Set(nhsNumbers);
      const out = new Map<string, PulledResponse>();
      // Newest first, so the first record of a patient is the one that counts.
      for (const r of platform.scheduler.results({ clientId, since })) {
        if (!wanted.has(r.nhsNumber) || out.has(r.nhsNumber)) continue;
        out.set(r.nhsNumber, {
          outcome: r.outcome,
          ...(r.status !== undefined ? { status: r.status } : {}),
          ...(r.body !== undefined ? { body: r.body } : {}),
          ...(r.bodyText !== undefined ? { bodyText: r.bodyText } : {}),
          ...(r.message !== undefined ? { message: r.message } : {}),
          latencyMs: r.latencyMs,
          ...(r.schema ? { schemaValid: r.schema.valid } : {}),
        });
      }
      return out;
    },
  };
}

interface ClientView {
  clientId: string;
  resourceType: ProducerResourceType;
  apiKey?: string;
  endpoint?: { url: string; path?: string; auth: SupplierAccess['type'] };
  requireContractPass?: boolean;
  pulls: { enabled: boolean; reason?: string; message?: string };
}

function fromView(v: ClientView): ClientState {
  return {
    clientId: v.clientId,
    resourceType: v.resourceType,
    hasApiKey: v.apiKey !== undefined,
    ...(v.endpoint
      ? {
          endpoint: {
            url: v.endpoint.url,
            ...(v.endpoint.path ? { path: v.endpoint.path } : {}),
            authType: v.endpoint.auth,
          },
        }
      : {}),
    requireContractPass: Boolean(v.requireContractPass),
    pulls: v.pulls,
  };
}

/** At most this many patients' pulls are fetched at once from a remote platform. */
const REMOTE_CONCURRENCY = 8;
const SCHEDULE_CHUNK = 1000;

export function remoteAccess(baseUrl: string, adminToken?: string): PlatformAccess {
  const urls = platformUrls(baseUrl);
  const fail = (
    what: string,
    url: string,
    status: number,
    body: { message?: unknown; error?: unknown } | undefined,
    text: string,
  ): never => {
    const why = typeof body?.message === 'string' ? body.message : text.slice(0, 200);
    throw new PlatformResponseError(`${what}: ${url} answered ${status}${why ? `: ${why}` : ''}`, status);
  };
  const getJson = async <T>(url: string, what: string): Promise<T> => {
    const res = await fetchWithTimeout<T & { message?: unknown; error?: unknown }>(url, {
      timeoutMs: 30_000,
      headers: { accept: 'application/json', ...adminHeaders(adminToken) },
    });
    if (res.status !== 200 || !res.json) return fail(what, url, res.status, res.json, res.text);
    return res.json;
  };
  const sendJson = async <T>(
    method: string,
    url: string,
    body: unknown,
    what: string,
  ): Promise<{ status: number; json?: T & { message?: unknown; error?: unknown }; text: string }> => {
    const res = await fetchWithTimeout<T & { message?: unknown; error?: unknown }>(url, {
      method,
      headers: { 'Content-Type': 'application/json', accept: 'application/json', ...adminHeaders(adminToken) },
      body: JSON.stringify(body),
      timeoutMs: 30_000,
    });
    if (res.status >= 500) fail(what, url, res.status, res.json, res.text);
    return res;
  };
  const clientUrl = (id: string) => `${urls.clients}/${encodeURIComponent(id)}`;

  return {
    urls,
    inProcess: false,
    masked: true,
    adminToken,
    async info() {
      const health = await getJson<{ service?: string; mode?: string; profile?: string }>(
        urls.health,
        'reading the platform health',
      );
      if (typeof health.service !== 'string' || !health.service.includes('pca-harness')) {
        throw new ConfigError(
          `${urls.health} is not a pca-harness platform; give --platform-url the base URL of \`pca-harness serve\` (e.g. http://127.0.0.1:7070)`,
        );
      }
      const summary = await getJson<{ rate?: number }>(urls.pullSummary, 'reading the pull rate');
      return {
        mode: health.mode ?? 'strict',
        profile: health.profile === 'prod' ? 'prod' : 'int',
        rate: summary.rate ?? 0,
      };
    },
    async listClients() {
      const body = await getJson<{ clients: ClientView[] }>(urls.clients, "listing the platform's clients");
      return body.clients.map(fromView);
    },
    async client(clientId) {
      const res = await fetchWithTimeout<{ client?: ClientView; message?: unknown }>(clientUrl(clientId), {
        timeoutMs: 30_000,
        headers: { accept: 'application/json' },
      });
      if (res.status === 404) return undefined;
      if (res.status !== 200 || !res.json?.client)
        return fail(`reading client ${clientId}`, clientUrl(clientId), res.status, res.json, res.text);
      return fromView(res.json.client);
    },
    async putClient(client) {
      const { clientId, ...rest } = client;
      const res = await sendJson<{ client?: ClientView }>(
        'PUT',
        clientUrl(clientId),
        rest,
        `onboarding client ${clientId}`,
      );
      if ((res.status !== 200 && res.status !== 201) || !res.json?.client) {
        throw new ConfigError(
          `the platform refused client ${clientId} (HTTP ${res.status}): ${typeof res.json?.message === 'string' ? res.json.message : res.text.slice(0, 200)}`,
        );
      }
      return fromView(res.json.client);
    },
    registered(clientId, until) {
      return fetchRegisteredNumbers(urls.base, clientId, until);
    },
    async schedule(clientId, nhsNumbers) {
      for (let i = 0; i < nhsNumbers.length; i += SCHEDULE_CHUNK) {
        const res = await sendJson(
          'POST',
          urls.pulls,
          { clientId, nhsNumbers: nhsNumbers.slice(i, i + SCHEDULE_CHUNK) },
          `scheduling pulls for ${clientId}`,
        );
        if (res.status !== 202) fail(`scheduling pulls for ${clientId}`, urls.pulls, res.status, res.json, res.text);
      }
    },
    async progress(clientId, since) {
      const q = new URLSearchParams({ clientId, since });
      const s = await getJson<{ pending: number; total: number; failed: number }>(
        `${urls.pullSummary}?${q.toString()}`,
        'reading pull progress',
      );
      return { pending: s.pending, total: s.total, failed: s.failed };
    },
    async latestPulls(clientId, nhsNumbers, since) {
      const out = new Map<string, PulledResponse>();
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < nhsNumbers.length) {
          const n = nhsNumbers[next++]!;
          const q = new URLSearchParams({ clientId, nhsNumber: n, since, limit: '1', include: 'body' });
          const body = await getJson<{
            pulls: Array<Omit<PulledResponse, 'schemaValid'> & { schema?: { valid: boolean } }>;
          }>(`${urls.pulls}?${q.toString()}`, 'reading pull results');
          const p = body.pulls[0];
          if (!p) continue;
          out.set(n, {
            outcome: p.outcome,
            ...(p.status !== undefined ? { status: p.status } : {}),
            ...(p.body !== undefined ? { body: p.body } : {}),
            ...(p.message !== undefined ? { message: p.message } : {}),
            latencyMs: p.latencyMs,
            ...(p.schema ? { schemaValid: p.schema.valid } : {}),
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(REMOTE_CONCURRENCY, nhsNumbers.length) }, worker));
      return out;
    },
  };
}
