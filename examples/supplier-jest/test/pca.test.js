'use strict';
/**
 * The PCA contract in Acme Portal's own pipeline: start the mock PCA platform, start our API
 * trusting its NHS login, then run the harness's conformance checks and its expected-versus-actual
 * replay against us. Any MUST failure fails the build, with the check's finding as the message.
 */
const { defaultPack, runChecks, runReplay, startPlatform } = require('pca-harness');
const { createApp, PATHS } = require('../app');

const CLIENT = { clientId: 'pca-aggregator', clientSecret: 'acme-test-secret' };
const pack = defaultPack();
const paths = { Appointment: PATHS.appointments, DocumentReference: PATHS.documents, Task: PATHS.tasks };

/** Our API on a free port; resolves to its base URL and a way to stop it. */
function startApi(options) {
  return new Promise((resolve) => {
    const server = createApp({ ...CLIENT, pack, ...options }).listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

function access(url) {
  return { type: 'client_credentials', tokenUrl: `${url}/oauth2/token`, ...CLIENT };
}

/** "GA-23 Cancelled appointments are included: cancelled appointments are missing", one a line. */
function mustFailures(result) {
  return result.findings.filter((f) => f.level === 'MUST').map((f) => `${f.name}: ${f.message}`);
}

describe('Acme Portal against the PCA', () => {
  let platform;
  let api;

  beforeAll(async () => {
    platform = await startPlatform({ pack });
    api = await startApi({ nhsLoginIssuer: platform.issuer });
  });

  afterAll(async () => {
    await api?.close();
    await platform?.close();
  });

  it('passes every MUST conformance check', async () => {
    const result = await runChecks({ supplierUrl: api.url, paths, access: access(api.url), platform, pack });
    expect(mustFailures(result)).toEqual([]);
    expect(result.verdict).toBe('pass');
    expect(result.counts.passed).toBeGreaterThan(20);
  });

  it('returns what the pack expects for every patient the aggregator pulls (EVA replay)', async () => {
    const result = await runReplay({ supplierUrl: api.url, paths, access: access(api.url), platform, pack });
    expect(result.findings).toEqual([]);
    expect(result.verdict).toBe('pass');
    // Every supplier comparison matched (the count also holds the consumer views the aggregator compared).
    expect(result.counts.failed + result.counts.errors).toBe(0);
    expect(result.counts.passed + result.counts.warned).toBeGreaterThanOrEqual(result.report.totals.comparisons);
  });

  it('would fail the build if the API dropped cancelled appointments', async () => {
    // The same assertions against a broken build of the API: the harness names the MUST it breaks.
    const broken = await startApi({ nhsLoginIssuer: platform.issuer, fault: 'drops-cancelled' });
    try {
      const result = await runChecks({ supplierUrl: broken.url, paths, access: access(broken.url), platform, pack });
      expect(result.verdict).toBe('fail');
      expect(mustFailures(result)).toEqual([expect.stringMatching(/^GA-23 /)]);
    } finally {
      await broken.close();
    }
  });
});
