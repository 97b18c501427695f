/**
 * Consumer side of the PCA-Supplier -> PCA-RecordService contract, exercised by the reference
 * supplier's real upload client (mocks/supplier/upload.ts): the whole pack upload for the accepted
 * and the unknown-key interactions, and its one-batch sender for invalid NHS numbers (the client
 * itself never sends those; the contract still says how the Record Service refuses them).
 */
import { buildDefaultPack } from '../../fixtures/default-pack';
import { isEligible } from '../../fixtures/pack';
import { sendRecordsBatch, uploadPack } from '../../mocks/supplier/upload';
import { PCA_RECORD_SERVICE, PCA_SUPPLIER } from './contract';
import { consumerPactSession, firstDifference, updateRequested, UPDATE_ENV } from './consumer-support';
import { INVALID_NHS_NUMBERS, RECORD_SERVICE_INTERACTIONS, type RecordInteractionKey } from './record-service-contract';

const ON = new Date('2025-01-15T00:00:00Z');
const pack = buildDefaultPack(ON);
const eligible = pack.patients.filter((p) => isEligible(p, ON)).length;
const CLIENT_ID = 'pep-01';

const session = consumerPactSession(PCA_SUPPLIER, PCA_RECORD_SERVICE);
afterAll(() => session.cleanup());

const upload = (baseUrl: string, apiKey: string) =>
  uploadPack({
    recordsUrl: baseUrl,
    clientId: CLIENT_ID,
    auth: { type: 'api-key', apiKey },
    pack,
    journal: ':memory:',
    clock: { now: () => ON },
    retry: { maxAttempts: 1 },
  });

const EXERCISE: Record<RecordInteractionKey, (baseUrl: string) => Promise<void>> = {
  accepted: async (url) => {
    const report = await upload(url, 'consumer-test-api-key');
    expect(report).toMatchObject({
      outcome: 'complete',
      acknowledged: eligible,
      failed: 0,
      batches: 1,
      recordsUrl: `${url}/records`,
    });
  },
  'invalid-nhs-numbers': async (url) => {
    const result = await sendRecordsBatch({
      url: `${url}/records`,
      authorization: 'Bearer consumer-test-api-key',
      clientId: CLIENT_ID,
      nhsNumbers: INVALID_NHS_NUMBERS,
    });
    expect(result).toMatchObject({
      kind: 'refused',
      status: 400,
      retryable: false,
      detail: expect.stringContaining('error.bad-request'),
    });
  },
  'unknown-api-key': async (url) => {
    const report = await upload(url, 'not-a-registered-key');
    // Credentials refused: the client stops instead of hammering the Record Service.
    expect(report).toMatchObject({ outcome: 'unauthorised', acknowledged: 0, requests: 1 });
  },
};

describe('PCA-Supplier -> PCA-RecordService (consumer)', () => {
  for (const interaction of RECORD_SERVICE_INTERACTIONS) {
    it(interaction.description, async () => {
      session.pact.addInteraction({
        states: [{ description: interaction.state }],
        uponReceiving: interaction.description,
        withRequest: interaction.request,
        willRespondWith: interaction.response,
      });
      await session.pact.executeTest((mock) => EXERCISE[interaction.key](mock.url));
    });
  }

  it('regenerates the committed pact byte for byte (after normalising)', () => {
    const generated = session.generated();
    if (updateRequested()) session.update();
    const committed = session.committed();
    if (committed === undefined)
      throw new Error(
        `${session.committedPath} is missing: run \`npm run pact:update\` (${UPDATE_ENV}=1) and commit it`,
      );
    const diff = firstDifference(generated, committed);
    if (diff)
      throw new Error(
        `the PCA-Supplier -> PCA-RecordService contract changed; if that is intended, run \`npm run pact:update\` and commit ${session.committedPath}.\nFirst difference at ${diff}`,
      );
    expect(generated).toBe(committed);
  });
});
