/**
 * `pca-harness demo`: the whole product against the reference supplier, on the embedded defaults.
 * It starts the platform and the supplier in this process on free ports, has the supplier's own
 * Record Service client upload the pack, then runs the real commands (check, replay, verify, load)
 * against them, each writing its reports into its own sub-directory, and merges their verdicts into
 * one index page and one junit.xml. Nothing here re-implements a suite: it is composition.
 */
import { createWriteStream, mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type HarnessConfig, type ClientConfig } from '../core/config';
import { listen, type RunningServer } from '../core/http';
import { createLogger, silentLogger } from '../core/logger';
import type { ProducerResourceType } from '../core/fhir';
import { SPEC_VERSIONS } from '../contracts/spec-versions';
import type { FixturePack } from '../fixtures/pack';
import { createPlatform, type Platform } from '../mocks/platform';
import { createSupplierApp } from '../mocks/supplier/app';
import { type FaultName, isApiFault, isUploadFault } from '../mocks/supplier/faults';
import { uploadPack, type UploadReport } from '../mocks/supplier/upload';
import { renderJUnit } from '../suites/report/junit';
import { writeReportFiles } from '../suites/report/files';
import { mergeJUnit, overallVerdict, renderIndexPage, type SuiteSummary } from '../suites/report/summary';
import type { CliIo } from './common';
import { ExitCode } from './common';
import { version } from '../core/version';

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

/** Runs one CLI command in-process (the same `run` a user's shell reaches). */
export type CommandRunner = (args: string[], io: CliIo) => Promise<number>;

const RESOURCE_KEYS: Record<ProducerResourceType, string> = {
  Appointment: 'appointments',
  DocumentReference: 'documents',
  Task: 'tasks',
};
const CLIENT_PREFIX = 'reference-supplier';

export interface DemoResult {
  exitCode: number;
  suites: SuiteSummary[];
  index: string;
  reportDir: string;
}

/** Counts from a junit.xml our writers produced. */
export function junitCounts(xml: string): SuiteSummary['counts'] {
  const head = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? '';
  const n = (k: string) => Number(new RegExp(`\\s${k}="(\\d+)"`).exec(head)?.[1] ?? 0);
  const tests = n('tests');
  const failed = n('failures');
  const errors = n('errors');
  const skipped = n('skipped');
  return { passed: Math.max(0, tests - failed - errors - skipped), failed, skipped, errors };
}

function failureNames(xml: string, max = 12): string[] {
  const names: string[] = [];
  for (const m of xml.matchAll(/<testcase\b[^>]*\bname="([^"]*)"[^>]*>\s*<(failure|error)\b[^>]*message="([^"]*)"/g)) {
    names.push(
      `${m[1]}: ${m[3]}`
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&'),
    );
    if (names.length >= max) break;
  }
  return names;
}

function captureIo(parent: CliIo, env: NodeJS.ProcessEnv): { io: CliIo; text: () => string } {
  const chunks: string[] = [];
  const push = (s: string) => {
    chunks.push(s.endsWith('\n') ? s : `${s}\n`);
  };
  return {
    io: { out: push, err: push, isTty: false, env: { ...parent.env, ...env }, cwd: parent.cwd },
    text: () => chunks.join(''),
  };
}

function uploadSummary(reports: UploadReport[]): { summary: SuiteSummary; junit: string } {
  const cases = reports.map((r) => ({
    name: `upload ${r.clientId}`,
    classname: 'upload',
    ...(r.outcome === 'complete' && r.warnings.length === 0
      ? {
          systemOut: `${r.acknowledged} acknowledged, ${r.acknowledgedTotal} in total; skipped ${JSON.stringify(r.skipped)}`,
        }
      : { failure: { message: `${r.outcome}: ${r.message}`, body: [r.message, ...r.warnings].join('\n') } }),
  }));
  const junit = renderJUnit([{ name: 'upload', cases }]);
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

export async function runDemo(opts: DemoOptions, io: CliIo, runCommand: CommandRunner): Promise<DemoResult> {
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

  const config: HarnessConfig = {
    ...opts.config,
    stateDir,
    platform: { ...opts.config.platform, port: 0, publicUrl: '' },
  };
  let platform: Platform | undefined;
  let supplier: RunningServer | undefined;
  const suites: SuiteSummary[] = [];
  try {
    platform = createPlatform({ config, pack: opts.pack, stateDir, logger });
    await platform.start(0, '127.0.0.1');
    const urls = platform.urls();
    const apiFault = opts.fault && isApiFault(opts.fault) ? opts.fault : undefined;
    const uploadFault = opts.fault && isUploadFault(opts.fault) ? opts.fault : undefined;
    supplier = await listen(
      createSupplierApp({
        pack: opts.pack,
        fault: apiFault,
        nhsLoginIssuer: urls.issuer,
        clientId: config.supplier.clientId,
        clientSecret: config.supplier.clientSecret,
        paths: config.supplier.paths,
        logger,
      }),
      0,
      '127.0.0.1',
    );
    say(`platform  ${urls.base}  (NHS login issuer ${urls.issuer})`);
    say(`supplier  ${supplier.url}${opts.fault ? `  with --fault ${opts.fault}` : ''}`);
    say(`state     ${stateDir}`);
    say(`reports   ${reportDir}\n`);

    // Onboard the reference supplier: one Record Service clientId per resource type, pulls from its API.
    const tokenUrl = `${supplier.url}/oauth2/token`;
    const clients: ClientConfig[] = (Object.keys(RESOURCE_KEYS) as ProducerResourceType[]).map((type) => ({
      clientId: `${CLIENT_PREFIX}-${RESOURCE_KEYS[type]}`,
      apiKey: `demo-api-key-${RESOURCE_KEYS[type]}`,
      resourceType: type,
      endpoint: {
        url: supplier!.url,
        path:
          type === 'Appointment'
            ? config.supplier.paths.appointments
            : type === 'DocumentReference'
              ? config.supplier.paths.documents
              : config.supplier.paths.tasks,
        auth: {
          type: 'client_credentials',
          tokenUrl,
          clientId: config.supplier.clientId,
          clientSecret: config.supplier.clientSecret,
        },
      },
    }));
    for (const c of clients) platform.clients.upsert(c);
    const clientsFlag = clients.map((c) => `${RESOURCE_KEYS[c.resourceType]}=${c.clientId}`).join(',');
    const auth = ['--token-url', tokenUrl, '--client-secret', config.supplier.clientSecret];

    const step = async (key: DemoStep, title: string, args: string[]): Promise<void> => {
      if (skip.has(key)) return;
      const dir = path.join(reportDir, key);
      say(`-> ${title}`);
      const started = performance.now();
      // The commands share the platform's state dir, so check can sign tokens with its NHS login key.
      const cap = captureIo(io, { PCA_HARNESS_STATE_DIR: stateDir });
      const code = await runCommand([...args, '--report-dir', dir], cap.io);
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(path.join(dir, 'console.txt'), cap.text());
      const junit = await fs.readFile(path.join(dir, 'junit.xml'), 'utf8').catch(() => '');
      const counts = junit ? junitCounts(junit) : { passed: 0, failed: 0, skipped: 0, errors: 1 };
      const files: Record<string, string> = {};
      for (const f of (await fs.readdir(dir)).sort()) files[f] = `${key}/${f}`;
      const summary: SuiteSummary = {
        key,
        title,
        verdict: code === 0 ? 'pass' : code === 1 ? 'fail' : 'error',
        headline:
          code === 0
            ? `${counts.passed} passed, ${counts.skipped} skipped`
            : code === 1
              ? `${counts.failed} failed, ${counts.errors} errors, ${counts.passed} passed`
              : `the command exited ${code}: see ${key}/console.txt`,
        counts,
        files,
        highlights: junit
          ? failureNames(junit)
          : cap
              .text()
              .split('\n')
              .filter((l) => /error/i.test(l))
              .slice(0, 5),
        durationMs: performance.now() - started,
      };
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
      const { summary, junit } = uploadSummary(reports);
      summary.durationMs = performance.now() - started;
      await writeReportFiles(path.join(reportDir, 'upload'), {
        'junit.xml': junit,
        'upload.json': `${JSON.stringify(reports, null, 2)}\n`,
      });
      suites.push(summary);
      say(`   ${summary.verdict.toUpperCase()}  ${summary.headline}`);
    }

    await step('check', 'Conformance checks (schema, rules, Record Service uploads)', [
      'check',
      '--supplier',
      supplier.url,
      '--platform-url',
      urls.base,
      ...auth,
      '--client-id',
      config.supplier.clientId,
      '--records-client-id',
      clients[0]!.clientId,
      '--include-throttle',
    ]);
    await step('replay', 'EVA replay: expected versus actual through the aggregator', [
      'replay',
      '--supplier',
      supplier.url,
      '--platform-url',
      urls.base,
      ...auth,
      '--client-id',
      config.supplier.clientId,
      '--upload',
      'supplier',
      '--clients',
      clientsFlag,
      '--rate',
      '50',
      '--timeout',
      '30s',
    ]);
    await step('verify', 'Pact verification (PCA -> PCA-Supplier contract)', [
      'verify',
      '--supplier',
      supplier.url,
      '--platform-url',
      urls.base,
      ...auth,
      '--client-id',
      config.supplier.clientId,
    ]);
    await step('load', `Load: 25 TPS for ${opts.loadDuration}, P95 budget`, [
      'load',
      '--target',
      supplier.url,
      '--profile',
      'default',
      '--duration',
      opts.loadDuration,
      '--platform-url',
      urls.base,
      ...auth,
      '--client-id',
      config.supplier.clientId,
      '--verify',
    ]);
  } finally {
    await supplier?.close().catch(() => undefined);
    await platform?.stop().catch(() => undefined);
    if (!opts.stateDir) await fs.rm(stateDir, { recursive: true, force: true }).catch(() => undefined);
    await new Promise<void>((resolve) => logStream.end(resolve));
  }

  const junits = await Promise.all(
    suites.map((s) => fs.readFile(path.join(reportDir, s.key, 'junit.xml'), 'utf8').catch(() => '')),
  );
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
  const written = await writeReportFiles(reportDir, {
    'index.html': index,
    'junit.xml': mergeJUnit(junits.filter(Boolean)),
    'summary.json': `${JSON.stringify({ verdict: overallVerdict(suites), fault: opts.fault ?? null, suites }, null, 2)}\n`,
  });
  const verdict = overallVerdict(suites);
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
