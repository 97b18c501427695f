/**
 * The clients the platform knows (Record Service API keys, OAuth public keys, supplier endpoints).
 * Starts from `platform.clients` in the config; the platform may add or replace clients at runtime
 * (`POST /_harness/clients`), so every component that needs clients reads them through one shared
 * registry rather than holding its own copy of the array.
 */
import type { ClientConfig } from '../../core/config';
import { CONFIG_SCHEMA } from '../../core/config';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../core/http';
import { validateAgainst, formatDiagnostic } from '../../core/schema';

export type ClientChange = { type: 'upserted'; client: ClientConfig } | { type: 'removed'; clientId: string };

export class ClientValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`client configuration is invalid: ${problems.join('; ')}`);
    this.name = 'ClientValidationError';
  }
}

/** The schema of one `platform.clients[]` entry, taken from the config schema so both agree. */
export const CLIENT_SCHEMA = CONFIG_SCHEMA.properties.platform.properties.clients.items;

export class ClientRegistry {
  private readonly byId = new Map<string, ClientConfig>();
  private readonly byKey = new Map<string, ClientConfig>();
  private readonly listeners = new Set<(change: ClientChange) => void>();

  constructor(clients: readonly ClientConfig[] = []) {
    for (const c of clients) this.upsert(c);
  }

  list(): ClientConfig[] {
    return [...this.byId.values()];
  }

  get(clientId: string): ClientConfig | undefined {
    return this.byId.get(clientId);
  }

  byApiKey(apiKey: string): ClientConfig | undefined {
    return this.byKey.get(apiKey);
  }

  /** Adds or replaces a client; throws ClientValidationError when it breaks the config schema or reuses another client's API key. */
  upsert(client: ClientConfig): ClientConfig {
    // Checked first: the schema walk and the copy below both recurse.
    if (nestsDeeperThan(client, MAX_JSON_DEPTH))
      throw new ClientValidationError([`the client nests deeper than ${MAX_JSON_DEPTH} levels; a JWKS needs four`]);
    const check = validateAgainst(CLIENT_SCHEMA, client);
    if (!check.valid) throw new ClientValidationError(check.diagnostics.map(formatDiagnostic));
    const holder = client.apiKey ? this.byKey.get(client.apiKey) : undefined;
    if (holder && holder.clientId !== client.clientId) {
      throw new ClientValidationError([
        `/apiKey: the same API key is already used by clientId "${holder.clientId}"; every client needs its own`,
      ]);
    }
    const previous = this.byId.get(client.clientId);
    if (previous?.apiKey) this.byKey.delete(previous.apiKey);
    const stored: ClientConfig = structuredClone(client);
    this.byId.set(stored.clientId, stored);
    if (stored.apiKey) this.byKey.set(stored.apiKey, stored);
    this.emit({ type: 'upserted', client: stored });
    return stored;
  }

  remove(clientId: string): boolean {
    const c = this.byId.get(clientId);
    if (!c) return false;
    this.byId.delete(clientId);
    if (c.apiKey) this.byKey.delete(c.apiKey);
    this.emit({ type: 'removed', clientId });
    return true;
  }

  /** Called after every change; returns a function that unsubscribes. */
  onChange(listener: (change: ClientChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private emit(change: ClientChange): void {
    for (const l of this.listeners) l(change);
  }
}

const shared = new WeakMap<readonly ClientConfig[], ClientRegistry>();

/**
 * A registry for `clients`. Given the same array twice (the platform handing `config.platform.clients`
 * to both the Record Service and the OAuth router) it returns the same registry, so a client added
 * at runtime through one is seen by the other.
 */
export function clientRegistry(clients: ClientRegistry | readonly ClientConfig[]): ClientRegistry {
  if (clients instanceof ClientRegistry) return clients;
  let r = shared.get(clients);
  if (!r) {
    r = new ClientRegistry(clients);
    shared.set(clients, r);
  }
  return r;
}

/** A client as it may be shown (diagnostics, admin listing): secrets replaced. */
export function publicClientView(c: ClientConfig): Record<string, unknown> {
  return {
    clientId: c.clientId,
    resourceType: c.resourceType,
    apiKey: c.apiKey ? '[REDACTED]' : undefined,
    oauth: c.jwks ? { keys: c.jwks.keys.map((k) => (typeof k.kid === 'string' ? k.kid : '(no kid)')) } : undefined,
    endpoint: c.endpoint ? { url: c.endpoint.url, path: c.endpoint.path, auth: c.endpoint.auth.type } : undefined,
    requireContractPass: c.requireContractPass,
    faults: c.faults,
  };
}
