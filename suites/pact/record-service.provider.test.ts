/**
 * Provider side of the PCA-Supplier -> PCA-RecordService contract: the mock Record Service (real
 * Express app, real in-memory SQLite) verified against the COMMITTED pact with the real Pact
 * verifier, so the mock answers exactly as the contract suppliers test their clients against.
 * A provider that answers 200 to everything must fail it, or the verification proves nothing.
 */
import express from 'express';
import { listen, type RunningServer } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { DEFAULT_SYNTHETIC_RANGES } from '../../core/nhs-number';
import { ClientRegistry } from '../../mocks/record-service/clients';
import { createRecordServiceApp } from '../../mocks/record-service/app';
import { openRegistrationStore, type RegistrationStore } from '../../mocks/record-service/store';
import { RECORD_SERVICE_PACT_FILE, shippedPact } from '../../contracts/pact/contract';
import { RECORD_SERVICE_INTERACTIONS, RECORD_SERVICE_STATES } from '../../contracts/pact/record-service-contract';
import { runPactVerification, type StateHandlers } from './verify';

const PACT = shippedPact(RECORD_SERVICE_PACT_FILE);
const CLIENT = {
  clientId: 'pact-verification-client',
  apiKey: 'pact-verification-api-key-0001',
  resourceType: 'Appointment' as const,
};

describe('PCA-RecordService (provider): the mock Record Service against the committed pact', () => {
  let server: RunningServer;
  let store: RegistrationStore;
  let clients: ClientRegistry;

  beforeAll(async () => {
    store = openRegistrationStore(':memory:');
    clients = new ClientRegistry([]);
    let tokenUrl = '';
    server = await listen(
      createRecordServiceApp({
        clients,
        mode: 'strict',
        profile: 'int',
        syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
        tokenUrl: () => tokenUrl,
        keyRing: new KeyRing(),
        store,
      }),
    );
    tokenUrl = `${server.url}/oauth2/token`;
  });

  afterAll(async () => {
    await server.close();
    store.close();
  });

  const stateHandlers: StateHandlers = {
    [RECORD_SERVICE_STATES.registered]: async () => {
      clients.upsert(CLIENT);
      return { clientId: CLIENT.clientId, apiKey: CLIENT.apiKey };
    },
    [RECORD_SERVICE_STATES.unknownKey]: async () => {
      for (const c of clients.list()) clients.remove(c.clientId);
      return undefined;
    },
  };

  it('honours every interaction, and registers what it acknowledged', async () => {
    const run = await runPactVerification({ providerBaseUrl: server.url, pactFile: PACT, stateHandlers });
    expect(run.runProblems).toEqual([]);
    expect(run.interactions.map((i) => [i.description, i.outcome, i.problems])).toEqual(
      [...RECORD_SERVICE_INTERACTIONS]
        .sort((a, b) => (a.description < b.description ? -1 : 1))
        .map((i) => [i.description, 'passed', []]),
    );
    // The pact's example NHS number was registered for the client the state set up.
    expect(store.countDistinct(CLIENT.clientId)).toBe(1);
  });

  it('fails the refusals against a provider that acknowledges everything', async () => {
    const lax = express();
    lax.post('/records', (_req, res) => {
      res.json({ result: 'success' });
    });
    const bad = await listen(lax);
    try {
      const run = await runPactVerification({
        providerBaseUrl: bad.url,
        pactFile: PACT,
        stateHandlers: {
          [RECORD_SERVICE_STATES.registered]: async () => ({ clientId: 'x', apiKey: 'y' }),
          [RECORD_SERVICE_STATES.unknownKey]: async () => undefined,
        },
      });
      expect(
        run.interactions
          .filter((i) => i.outcome === 'failed')
          .map((i) => i.description)
          .sort(),
      ).toEqual(['a batch sent with an API key the Record Service does not know', 'a batch with invalid NHS numbers']);
      expect(
        run.interactions.find((i) => i.description === 'a batch with invalid NHS numbers')!.problems,
      ).toContainEqual(expect.objectContaining({ type: 'status', message: expect.stringContaining('400') }));
    } finally {
      await bad.close();
    }
  });
});
