/**
 * A full `check` run against the reference supplier, in-process: how long the catalogue takes end
 * to end (requests, token minting, reports), with and without the opt-in throttle burst. The
 * issue's budget is "well under a minute"; the harness aims at a second or two.
 */
import { listen } from '../core/http';
import { KeyRing } from '../core/keys';
import { buildDefaultPack } from '../fixtures/default-pack';
import { createSupplierApp } from '../mocks/supplier/app';
import type { HttpRequest, Transport } from '../suites/checks/check';
import { startNhsLogin } from '../suites/access/nhs-login-session';
import { renderCheckHtml } from '../suites/report/check-html';
import { renderCheckJUnit } from '../suites/report/check-junit';
import { DEFAULT_PATHS, runCheck } from '../suites/checks/run-check';
import { httpTransport } from '../suites/access/transport';

const RUNS = 5;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export default async function bench(): Promise<void> {
  const pack = buildDefaultPack(new Date());
  const nhsLogin = await startNhsLogin({ issuer: 'http://127.0.0.1:0/nhs-login', pack, keyRing: new KeyRing() });
  try {
    for (const includeThrottle of [false, true]) {
      const times: number[] = [];
      const renderTimes: number[] = [];
      let requests = 0;
      let checks = 0;
      for (let i = 0; i < RUNS; i++) {
        // A fresh supplier per run, so no rate-limit window carries over.
        const server = await listen(
          createSupplierApp({ pack, nhsLoginIssuer: nhsLogin.issuer, clientId: 'pca', clientSecret: 'bench-secret' }),
        );
        const http = httpTransport();
        let n = 0;
        const counting: Transport = (req: HttpRequest) => {
          n++;
          return http(req);
        };
        try {
          const started = performance.now();
          const { report } = await runCheck({
            supplierUrl: server.url,
            paths: DEFAULT_PATHS,
            access: {
              kind: 'client-credentials',
              tokenUrl: `${server.url}/oauth2/token`,
              clientId: 'pca',
              clientSecret: 'bench-secret',
            },
            nhsLogin,
            pack,
            includeThrottle,
            transport: counting,
          });
          times.push(performance.now() - started);
          const r0 = performance.now();
          renderCheckHtml(report);
          renderCheckJUnit(report);
          JSON.stringify(report);
          renderTimes.push(performance.now() - r0);
          if (!report.summary.passed)
            throw new Error(`the reference supplier failed: ${report.summary.mustFailed.join(', ')}`);
          requests = n;
          checks = report.checks.filter((c) => c.outcome !== 'skip').length;
        } finally {
          await server.close();
        }
      }
      process.stdout.write(
        `check run${includeThrottle ? ' with --include-throttle' : ''}: ${checks} checks run, ${requests} supplier requests; ` +
          `median ${percentile(times, 50).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms over ${RUNS} runs (first includes warm-up); ` +
          `reports rendered in ${percentile(renderTimes, 50).toFixed(1)} ms\n`,
      );
    }
  } finally {
    await nhsLogin.close();
  }
}
