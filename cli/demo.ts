/**
 * `pca-harness demo`: the whole product against the reference supplier, on the embedded defaults.
 * It composes the library: startPlatform and startReferenceSupplier on free ports, the supplier's
 * own Record Service client uploads the pack, then runChecks, runReplay, verifyContract and runLoad
 * run against them, each writing its reports into its own sub-directory. The index page and the
 * merged junit.xml are built from the results held in memory. Nothing here re-implements a suite.
 */
import { createWriteStream, mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SupplierAccess } from '../core/access';
import type { ClientConfig, HarnessConfig } from '../core/config';
import { HarnessError } from '../core/errors';
import { PRODUCER_RESOURCE_TYPES } from '../core/fhir';
import { createLogger, silentLogger } from '../core/logger';
import { pathsByType, RESOURCE_KEYS } from '../core/resource-types';
import { version } from '../core/version';
import { SPEC_VERSIONS } from '../contracts/spec-versions';
import type { FixturePack } from '../fixtures/pack';
import { type PlatformHandle, startPlatform, startReferenceSupplier, type SupplierHandle } from '../mocks/start';
import { type FaultName, isApiFault, isUploadFault } from '../mocks/supplier/faults';
import { uploadPack, type UploadReport } from '../mocks/supplier/upload';
import { runLoad } from '../load/run-load';
import { formatLoadSummary } from '../load/report';
import { runChecks } from '../suites/checks/run-checks';
import { renderConsoleSummary } from '../suites/report/check-console';
import { writeReportFiles } from '../suites/report/files';
import { type JUnitSuite, renderJUnit } from '../suites/report/junit';
import type { RunResult } from '../suites/report/result';
import { overallVerdict, renderIndexPage, type SuiteSummary } from '../suites/report/summary';
import { verifyContract } from '../suites/pact/verify-contract';
import { renderVerifyConsole } from '../suites/pact/verify-report';
import { runReplay } from '../suites/replay/replay';
import { renderReplaySummary } from '../suites/replay/summary';
import { parseDuration } from './common';
import type { CliIo } from './common';
import { ExitCode } from './common';

export interface DemoOptions {
  config: HarnessConfig;
  pack: FixturePack;
  reportDir: string;
  fault?: FaultName;
  /** State directory; default a fresh temporary one, so every demo starts clean. */
  stateDir?: string;
  /** Length of the load step. */
  loadDuration: string;
  /** Steps to leave out (`load`, `verify`, ...), for quick runs. */
  skip?: readonly DemoStep[];
}

export const DEMO_STEPS = ['upload', 'check', 'replay', 'verify', 'load'] as const;
export type DemoStep = (typeof DEMO_STEPS)[number];

const CLIENT_PREFIX = 'reference-supplier';

export interface DemoResult {
  exitCode: number;
  suites: SuiteSummary[];
  index: string;
  reportDir: string;
}

function uploadSummary(reports: UploadReport[]): { summary: SuiteSummary; junit: JUnitSuite[] } {
  const cases = reports.map((r) => ({
    name: `upload ${r.clientId}`,
    classname: 'upload',
    ...(r.outcome === 'complete' && r.warnings.length === 0
      ? {
          systemOut: `${r.acknowledged} acknowledged, ${r.acknowledgedTotal} in total; skipped ${JSON.stringify(r.skipped)}`,
        }
      : { failure: { message: `${r.outcome}: ${r.message}`, body: [r.message, ...r.warnings].join('\n') } }),
  }));
  const junit: JUnitSuite[] = [{ name: 'upload', cases }];
  const failed = cases.filter((c) => 'failure' in c).length;
  return {
    junit,
    summary: {
      key: 'upload',
      title: 'Record Service upload (reference supplier client)',
      verdict: failed ? 'fail' : 'pass',
      headline: reports
        .map((r) => `${r.clientId}: ${r.outcome}, ${r.acknowledged}/${r.toSend} acknowledged`)
        .join('; '),
      counts: { passed: cases.length - failed, failed, skipped: 0, errors: 0 },
      files: { JUnit: 'upload/junit.xml', 'upload.json': 'upload/upload.json' },
      highlights: cases.flatMap((c) => ('failure' in c && c.failure ? [c.failure.message] : [])),
    },
  };
}

/** One suite's result as a row of the index: its files relative to the report root. */
function summaryOf(key: DemoStep, title: string, result: RunResult<unknown>, durationMs: number): SuiteSummary {
  return {
    key,
    title,
    verdict: result.verdict,
    headline: result.headline,
    counts: result.counts,
    files: Object.fromEntries(
      Object.keys(result.files ?? {})
        .sort()
        .map((f) => [f, `${key}/${f}`]),
    ),
    highlights: result.findings.slice(0, 12).map((f) => `${f.name}: ${f.message}`),
    durationMs,
  };
}

export async function runDemo(opts: DemoOptions, io: CliIo): Promise<DemoResult> {
  const reportDir = path.resolve(io.cwd, opts.reportDir);
  await fs.rm(reportDir, { recursive: true, force: true });
  await fs.mkdir(reportDir, { recursive: true });
  const stateDir = opts.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'pca-harness-demo-'));
  const say = (s: string) => io.err(s);
  const skip = new Set(opts.skip ?? []);
  // The services' logs (masked, as everywhere) go to a file beside the reports, not over the summary.
  const logStream = createWriteStream(path.join(reportDir, 'services.log'));
  const logger =
    opts.config.logLevel === 'silent'
      ? silentLogger()
      : createLogger({ level: opts.config.logLevel, destination: logStream });
  // Free ports, reached where they listen: a configured public URL is not where the demo runs.
  const config: HarnessConfig = { ...opts.config, platform: { ...opts.config.platform, publicUrl: '' } };
  let platform: PlatformHandle | undefined;
  let supplier: SupplierHandle | undefined;
  const suites: SuiteSummary[] = [];
  const junit: JUnitSuite[] = [];
  try {
    platform = await startPlatform({ config, pack: opts.pack, stateDir, logger });
    const apiFault = opts.fault && isApiFault(opts.fault) ? opts.fault : undefined;
    const uploadFault = opts.fault && isUploadFault(opts.fault) ? opts.fault : undefined;
    supplier = await startReferenceSupplier({
      nhsLoginIssuer: platform.issuer,
      pack: opts.pack,
      ...(apiFault ? { fault: apiFault } : {}),
      clientId: config.supplier.clientId,
      clientSecret: config.supplier.clientSecret,
      paths: config.supplier.paths,
      logger,
    });
    const urls = platform.urls;
    say(`platform  ${urls.base}  (NHS login issuer ${urls.issuer})`);
    say(`supplier  ${supplier.url}${opts.fault ? `  with --fault ${opts.fault}` : ''}`);
    say(`state     ${stateDir}`);
    say(`reports   ${reportDir}\n`);

    // Onboard the reference supplier: one Record Service clientId per resource type, pulls from its API.
    const access: SupplierAccess = {
      type: 'client_credentials',
      tokenUrl: supplier.tokenUrl,
      clientId: supplier.clientId,
      clientSecret: supplier.clientSecret,
    };
    const paths = pathsByType(supplier.paths);
    const clients: ClientConfig[] = PRODUCER_RESOURCE_TYPES.map((type) => ({
      clientId: `${CLIENT_PREFIX}-${RESOURCE_KEYS[type]}`,
      apiKey: `demo-api-key-${RESOURCE_KEYS[type]}`,
      resourceType: type,
      endpoint: { url: supplier!.url, path: paths[type], auth: access },
    }));
    for (const c of clients) platform.platform.clients.upsert(c);

    /** Runs one suite; a run that cannot start is an `error` row with the reason, not the end of the demo. */
    const step = async <T extends RunResult<unknown>>(
      key: DemoStep,
      title: string,
      run: (reportDir: string) => Promise<T>,
      render: (r: T) => string,
    ): Promise<void> => {
      if (skip.has(key)) return;
      const dir = path.join(reportDir, key);
      say(`-> ${title}`);
      const started = performance.now();
      let summary: SuiteSummary;
      try {
        const result = await run(dir);
        await writeReportFiles(dir, { 'console.txt': render(result) });
        result.files = { ...result.files, 'console.txt': path.join(dir, 'console.txt') };
        summary = summaryOf(key, title, result, performance.now() - started);
        junit.push(...result.junit);
      } catch (e) {
        if (!(e instanceof HarnessError)) throw e;
        await writeReportFiles(dir, { 'console.txt': `error: ${e.message}\n` });
        summary = {
          key,
          title,
          verdict: 'error',
          headline: `could not run: ${e.message.split('\n')[0]}`,
          counts: { passed: 0, failed: 0, skipped: 0, errors: 1 },
          files: { 'console.txt': `${key}/console.txt` },
          highlights: [e.message],
          durationMs: performance.now() - started,
        };
        junit.push({ name: key, cases: [{ name: title, classname: key, error: { message: e.message } }] });
      }
      suites.push(summary);
      say(`   ${summary.verdict.toUpperCase()}  ${summary.headline}  (${(summary.durationMs! / 1000).toFixed(1)} s)`);
      for (const h of summary.highlights ?? []) say(`     - ${h}`);
    };

    if (!skip.has('upload')) {
      say("-> Record Service upload by the supplier's own client (with 30% injected 503s, so retries are exercised)");
      const started = performance.now();
      const reports: UploadReport[] = [];
      const faultsUrl = (clientId: string) => `${urls.harness}/records/faults/${encodeURIComponent(clientId)}`;
      for (const c of clients) {
        // A seeded 30% of 503s on the first client proves the client retries (RS-07) without losing anything.
        if (c === clients[0])
          await fetch(faultsUrl(c.clientId), {
            method: 'PUT',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ errorRates: { 503: 0.3 }, seed: 7 }),
          });
        reports.push(
          await uploadPack({
            recordsUrl: urls.records,
            clientId: c.clientId,
            auth: { type: 'api-key', apiKey: c.apiKey! },
            pack: opts.pack,
            journal: path.join(stateDir, `upload-journal-${c.clientId}.sqlite`),
            profile: config.platform.profile,
            fault: uploadFault,
            logger,
            retry: { maxAttempts: 8, baseDelayMs: 20, maxDelayMs: 200 },
          }),
        );
        if (c === clients[0]) await fetch(faultsUrl(c.clientId), { method: 'DELETE' });
      }
      const upload = uploadSummary(reports);
      upload.summary.durationMs = performance.now() - started;
      await writeReportFiles(path.join(reportDir, 'upload'), {
        'junit.xml': renderJUnit(upload.junit),
        'upload.json': `${JSON.stringify(reports, null, 2)}\n`,
      });
      suites.push(upload.summary);
      junit.push(...upload.junit);
      say(`   ${upload.summary.verdict.toUpperCase()}  ${upload.summary.headline}`);
    }

    const target = { supplierUrl: supplier.url, access, pack: opts.pack, platform };
    await step(
      'check',
      'Conformance checks (schema, rules, Record Service uploads)',
      (dir) =>
        runChecks({
          ...target,
          paths,
          recordsClientId: clients[0]!.clientId,
          includeThrottle: true,
          stateDir,
          reportDir: dir,
        }),
      (r) => renderConsoleSummary(r.report, { reportFiles: r.files ?? {} }),
    );
    await step(
      'replay',
      'EVA replay: expected versus actual through the aggregator',
      (dir) =>
        runReplay(
          {
            ...target,
            paths,
            upload: 'supplier',
            clientIds: Object.fromEntries(clients.map((c) => [c.resourceType, c.clientId])),
            timeoutMs: 30_000,
            reportDir: dir,
          },
          { logger },
        ),
      (r) => renderReplaySummary(r),
    );
    await step(
      'verify',
      'Pact verification (PCA -> PCA-Supplier contract)',
      (dir) => verifyContract({ ...target, paths, stateDir, reportDir: dir }),
      (r) => renderVerifyConsole(r.report, { reportFiles: r.files ?? {} }),
    );
    await step(
      'load',
      `Load: 25 TPS for ${opts.loadDuration}, P95 budget`,
      (dir) =>
        runLoad({
          ...target,
          target: supplier!.url,
          profile: 'default',
          overrides: { durationMs: parseDuration(opts.loadDuration) },
          verify: true,
          reportDir: dir,
        }),
      (r) => formatLoadSummary(r.report),
    );
  } finally {
    await supplier?.close().catch(() => undefined);
    await platform?.close().catch(() => undefined);
    if (!opts.stateDir) await fs.rm(stateDir, { recursive: true, force: true }).catch(() => undefined);
    await new Promise<void>((resolve) => logStream.end(resolve));
  }

  const index = renderIndexPage(suites, {
    title: opts.fault ? `pca-harness demo (--fault ${opts.fault})` : 'pca-harness demo',
    generatedAt: new Date().toISOString(),
    harnessVersion: version(),
    specVersions: { ...SPEC_VERSIONS },
    details: {
      pack: `${opts.pack.name} (${opts.pack.patients.length} patients)`,
      fault: opts.fault ?? 'none',
      'load duration': opts.loadDuration,
    },
  });
  const verdict = overallVerdict(suites);
  const written = await writeReportFiles(reportDir, {
    'index.html': index,
    'junit.xml': renderJUnit(junit),
    'summary.json': `${JSON.stringify({ verdict, fault: opts.fault ?? null, suites }, null, 2)}\n`,
  });
  io.out(
    `\n${verdict === 'pass' ? 'ALL PASSED' : verdict.toUpperCase()}: ${suites.map((s) => `${s.key} ${s.verdict}`).join(', ')}`,
  );
  io.out(`index:  ${written['index.html']}\njunit:  ${written['junit.xml']}`);
  return {
    exitCode: verdict === 'pass' ? ExitCode.ok : ExitCode.checkFailed,
    suites,
    index: written['index.html']!,
    reportDir,
  };
}
