/**
 * The aggregator through the whole platform on loopback, with two reference suppliers: how long
 * scheduled pulls of a 1,000-patient pack take at the configured rate, and the consumer API's
 * latency (HDR percentiles) at 40 requests a second for 10 seconds (open model, under the 60 TPS
 * limit even when the loop lags), against the 1,000 ms P95 the consumer spec asks of the real PCA
 * (WF-NFR-01). Everything shares one event loop, so the figures are an upper bound.
 */
import { build } from 'hdr-histogram-js';
import { DEFAULT_CONFIG, type HarnessConfig } from '../core/config';
import { listen } from '../core/http';
import { generatePack } from '../fixtures/generate';
import { isEligible } from '../fixtures/pack';
import { createPlatform } from '../mocks/platform';
import { createSupplierApp } from '../mocks/supplier/app';
import { uploadPack } from '../mocks/supplier/upload';

const PATIENTS = 1_000;
const PULL_RATE = 200;
const CONSUMER_TPS = 40;
const CONSUMER_SECONDS = 10;
const SECRET = { clientId: 'pca-aggregator', clientSecret: 'bench-secret-0001' };

export default async function main(): Promise<void> {
  const on = new Date();
  const pack = generatePack({ count: PATIENTS, seed: 42, on });
  const config: HarnessConfig = {
    ...DEFAULT_CONFIG,
    platform: { ...DEFAULT_CONFIG.platform, pullRate: PULL_RATE, profile: 'prod' },
  };
  const platform = createPlatform({ config, pack, stateDir: ':memory:' });
  await platform.start(0);
  const suppliers = await Promise.all(
    [0, 1].map(() =>
      listen(createSupplierApp({ pack, nhsLoginIssuer: platform.urls().issuer, ...SECRET, rateLimitTps: 100_000 })),
    ),
  );
  try {
    const types = ['Appointment', 'DocumentReference'] as const;
    for (let i = 0; i < 2; i++) {
      const s = suppliers[i]!;
      platform.clients.upsert({
        clientId: `bench-${i}`,
        resourceType: types[i]!,
        apiKey: `bench-api-key-${i}000`,
        endpoint: { url: s.url, auth: { type: 'client_credentials', tokenUrl: `${s.url}/oauth2/token`, ...SECRET } },
      });
    }
    const eligible = pack.patients.filter((p) => isEligible(p, on));
    const pullStart = performance.now();
    for (let i = 0; i < 2; i++) {
      await uploadPack({
        recordsUrl: platform.urls().records,
        clientId: `bench-${i}`,
        auth: { type: 'api-key', apiKey: `bench-api-key-${i}000` },
        pack,
        journal: ':memory:',
        profile: 'prod',
      });
    }
    await platform.scheduler.idle();
    const pullSeconds = (performance.now() - pullStart) / 1000;
    const s = platform.scheduler.summary();
    process.stdout.write(
      `pulls: ${s.total} (${s.done} ok, ${s.failed} failed) for ${eligible.length} eligible patients x 2 suppliers in ${pullSeconds.toFixed(1)} s = ${(s.total / pullSeconds).toFixed(0)}/s (rate limit ${PULL_RATE}/s)\n`,
    );

    const tokens = new Map<string, string>();
    for (const p of eligible.slice(0, 50)) {
      const r = await fetch(`${platform.urls().issuer}/_harness/id-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nhsNumber: p.nhsNumber }),
      });
      tokens.set(p.nhsNumber, ((await r.json()) as { id_token: string }).id_token);
    }
    const patients = [...tokens.keys()];
    const hist = build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const statuses = new Map<number, number>();
    const total = CONSUMER_TPS * CONSUMER_SECONDS;
    const started = performance.now();
    const inFlight: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / CONSUMER_TPS;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = patients[i % patients.length]!;
      inFlight.push(
        (async () => {
          const res = await fetch(
            `${platform.urls().events}?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${n}`)}`,
            { headers: { Authorization: 'Bearer bench', 'NHSD-ID-Token': tokens.get(n)! } },
          );
          await res.arrayBuffer();
          // Measured from when the request was due, so a stalled loop cannot hide latency.
          hist.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        })(),
      );
    }
    await Promise.all(inFlight);
    const ms = (q: number) => (hist.getValueAtPercentile(q) / 1000).toFixed(1);
    process.stdout.write(
      `consumer API at ${CONSUMER_TPS}/s for ${CONSUMER_SECONDS} s: ${total} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
    process.stdout.write(
      `  latency ms: p50 ${ms(50)}  p95 ${ms(95)}  p99 ${ms(99)}  max ${(hist.maxValue / 1000).toFixed(1)}  (WF-NFR-01 budget: p95 1000)\n`,
    );
    process.stdout.write(`  pending work after the run: ${platform.gauge.pending}\n`);
  } finally {
    await platform.stop();
    await Promise.all(suppliers.map((x) => x.close()));
  }
}
