/**
 * Load on the consumer API over loopback: an open-model loop offering ~100 requests a second for
 * 3 seconds (bounded count and duration) against the 60 TPS limit. Every answer must be 200 or the
 * specified 429, the limiter must not admit more than its limit allows, and the pending-work gauge
 * must stay bounded and drain to 0. Figures (latency percentiles) belong in `npm run bench`.
 */
import express from 'express';
import type { ClientConfig } from '../../core/config';
import { listen, type RunningServer } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { mintIdToken } from '../../core/tokens';
import { validateProducerBundle } from '../../contracts/validate';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { NHS_LOGIN_KEY } from '../nhs-login/app';
import { createAggregator, CONSUMER_RATE_LIMIT } from './consumer';
import { BearerTokenCache } from './upstream';

const ISSUER = 'http://platform.test/nhs-login';
const pack = buildDefaultPack(new Date());
const patient = pack.patients.find((p) => p.scenario === 'booked outpatient, face to face')!;

const OFFERED_PER_SECOND = 100;
const DURATION_MS = 3_000;

let supplier: RunningServer;
let platform: RunningServer;
let gauge: { pending: number };

beforeAll(async () => {
  const s = express();
  const body = JSON.stringify(patient.expected.Appointment);
  s.get('/Appointment', (_req, res) => {
    res.type('application/fhir+json').send(body);
  });
  supplier = await listen(s);
  const clients: Record<string, ClientConfig> = {
    'appts-01': {
      clientId: 'appts-01',
      resourceType: 'Appointment',
      endpoint: { url: supplier.url, auth: { type: 'static', token: 't' } },
    },
  };
  const agg = createAggregator({
    directory: { client: (id) => clients[id], contractPassed: () => true },
    registrations: { clientIdsFor: () => ['appts-01'] },
    keyRing,
    issuer: () => ISSUER,
    baseUrl: () => 'http://platform.test',
    tokens: new BearerTokenCache(),
    validate: validateProducerBundle,
  });
  gauge = agg.gauge;
  const app = express();
  app.use('/aggregator', agg.router);
  platform = await listen(app);
});

afterAll(async () => {
  await platform.close();
  await supplier.close();
});

const keyRing = new KeyRing();

it(`holds ${CONSUMER_RATE_LIMIT} TPS under ${OFFERED_PER_SECOND} offered: only 200s and 429s, and pending work drains to 0`, async () => {
  const token = (
    await mintIdToken(await keyRing.get(NHS_LOGIN_KEY), {
      issuer: ISSUER,
      nhsNumber: patient.nhsNumber,
      birthDate: patient.birthDate,
    })
  ).token;
  const url = `${platform.url}/aggregator/events?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${patient.nhsNumber}`)}`;
  const statuses = new Map<number, number>();
  const errors: string[] = [];
  let maxPending = 0;
  const inFlight: Array<Promise<void>> = [];
  const started = performance.now();
  const total = Math.round((OFFERED_PER_SECOND * DURATION_MS) / 1000);
  // Open model: request i is due at i/rate seconds whether or not earlier ones have answered.
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / OFFERED_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    maxPending = Math.max(maxPending, gauge.pending);
    inFlight.push(
      fetch(url, { headers: { Authorization: 'Bearer load-test', 'NHSD-ID-Token': token } }).then(
        async (res) => {
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        },
        (e: unknown) => {
          errors.push(String(e));
        },
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - started) / 1000;

  expect(errors).toEqual([]);
  expect([...statuses.keys()].sort()).toEqual([200, 429]);
  const ok = statuses.get(200)!;
  // A sliding one-second window admits at most `limit` in any span of T seconds times (floor(T) + 1).
  const admittable = CONSUMER_RATE_LIMIT * (Math.floor(elapsedS) + 1);
  expect(ok).toBeLessThanOrEqual(admittable);
  expect(ok).toBeGreaterThanOrEqual(CONSUMER_RATE_LIMIT);
  expect(statuses.get(429)!).toBe(total - ok);
  // Bounded: never more work under way than the requests admitted in about a second.
  expect(maxPending).toBeLessThanOrEqual(2 * CONSUMER_RATE_LIMIT);
  expect(gauge.pending).toBe(0);
});
