/**
 * A Record Service + OAuth mock on port 0 for tests, with real keys, a real in-memory SQLite store
 * and a fixed clock. Clients: `pep-01` (Appointment, API key, OAuth key pair, no endpoint),
 * `pep-docs` (DocumentReference, API key, with a supplier endpoint).
 */
import { fixedClock } from '../../../core/clock';
import type { ClientConfig, Mode, Profile } from '../../../core/config';
import { KeyRing, generateSigningKey, type SigningKey } from '../../../core/keys';
import { listen, type RunningServer } from '../../../core/http';
import { DEFAULT_SYNTHETIC_RANGES } from '../../../core/nhs-number';
import type { Logger } from '../../../core/logger';
import type { PackPatient } from '../../../fixtures/pack';
import { createRecordServiceApp } from '../app';
import { ClientRegistry } from '../clients';
import { FaultInjector } from '../faults';
import { openRegistrationStore, type RegistrationStore } from '../store';

export const NOW = '2025-06-01T09:00:00.000Z';
export const API_KEY = 'key-appointments-0001';
export const DOCS_API_KEY = 'key-documents-0002';

export interface TestPlatform {
  server: RunningServer;
  url: string;
  tokenUrl: string;
  clock: ReturnType<typeof fixedClock>;
  keyRing: KeyRing;
  store: RegistrationStore;
  clients: ClientRegistry;
  faults: FaultInjector;
  /** The private key registered for `pep-01`'s OAuth client credentials. */
  clientKey: SigningKey;
  close(): Promise<void>;
}

let cachedKey: Promise<SigningKey> | undefined;
/** One RSA key pair per test file is enough; generating them is the slow part. */
export function testClientKey(): Promise<SigningKey> {
  cachedKey ??= generateSigningKey().then((k) => ({
    ...k.key,
    kid: 'pep-01-key-1',
    publicJwk: { ...k.key.publicJwk, kid: 'pep-01-key-1' },
  }));
  return cachedKey;
}

export interface StartOptions {
  mode?: Mode;
  profile?: Profile;
  packLookup?: (nhsNumber: string) => PackPatient | undefined;
  timeoutMs?: number;
  bodyLimitBytes?: number;
  logger?: Logger;
  extraClients?: ClientConfig[];
  contractPassed?: (clientId: string) => boolean;
  store?: RegistrationStore;
}

export async function startTestPlatform(opts: StartOptions = {}): Promise<TestPlatform> {
  const clientKey = await testClientKey();
  const clock = fixedClock(NOW);
  const keyRing = new KeyRing();
  const store = opts.store ?? openRegistrationStore(':memory:');
  const clients = new ClientRegistry([
    {
      clientId: 'pep-01',
      apiKey: API_KEY,
      resourceType: 'Appointment',
      jwks: { keys: [clientKey.publicJwk as unknown as Record<string, unknown>] },
    },
    {
      clientId: 'pep-docs',
      apiKey: DOCS_API_KEY,
      resourceType: 'DocumentReference',
      endpoint: { url: 'http://127.0.0.1:9', auth: { type: 'static', token: 'static-token-for-tests' } },
    },
    ...(opts.extraClients ?? []),
  ]);
  const faults = new FaultInjector({ clients, timeoutMs: opts.timeoutMs ?? 200 });
  let tokenUrl = 'http://127.0.0.1:0/oauth2/token';
  const app = createRecordServiceApp({
    clients,
    mode: opts.mode ?? 'strict',
    profile: opts.profile ?? 'int',
    syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
    tokenUrl: () => tokenUrl,
    keyRing,
    store,
    clock,
    faults,
    packLookup: opts.packLookup,
    bodyLimitBytes: opts.bodyLimitBytes,
    logger: opts.logger,
    contractPassed: opts.contractPassed,
  });
  const server = await listen(app);
  tokenUrl = `${server.url}/oauth2/token`;
  return {
    server,
    url: server.url,
    tokenUrl,
    clock,
    keyRing,
    store,
    clients,
    faults,
    clientKey,
    async close() {
      await server.close();
      if (!opts.store) store.close();
    },
  };
}
