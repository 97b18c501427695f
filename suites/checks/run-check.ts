/**
 * `pca-harness check` as a library function: resolve the endpoints, make sure the supplier answers
 * and the credentials work (so a wrong URL or secret is one clear message, not sixty errors), run
 * the selected checks and build the report. Starting and stopping the NHS login mock, writing
 * files and exit codes are the caller's.
 */
import { type Clock, systemClock } from '../../core/clock';
import type { ProducerResourceType } from '../../core/fhir';
import { UnreachableError } from '../../core/http';
import { type FixturePack, PackIndex } from '../../fixtures/pack';
import { version as harnessVersion } from '../../core/version';
import type { CheckContext, PlatformAccess, SuiteName, Transport } from './check';
import { SUITES } from './check';
import { CATALOGUE, type Selection, selectChecks } from './catalogue';
import { type AccessConfig, createCredentials, type NhsLoginAccess } from '../access/credentials';
import { type CheckReport, buildCheckReport } from '../report/check-report';
import { chooseRoster } from './roster';
import { type CheckResult, type RunOptions, runChecks } from './runner';
import { httpTransport } from '../access/transport';
import type { SigningKey } from '../../core/keys';

export type EndpointPaths = Partial<Record<ProducerResourceType, string>>;

export const DEFAULT_PATHS: Record<ProducerResourceType, string> = {
  Appointment: '/Appointment',
  DocumentReference: '/DocumentReference',
  Task: '/Task',
};

export interface CheckRunOptions {
  supplierUrl: string;
  /** The endpoints the supplier offers and their paths; absent ones are skipped. */
  paths: EndpointPaths;
  access: AccessConfig;
  nhsLogin: NhsLoginAccess & { persistent?: boolean };
  platform?: PlatformAccess;
  pack: FixturePack;
  selection?: Selection;
  includeThrottle?: boolean;
  clock?: Clock;
  transport?: Transport;
  forgeryKey?: SigningKey;
  notices?: string[];
  onResult?: RunOptions['onResult'];
}

export interface CheckRun {
  report: CheckReport;
  results: CheckResult[];
}

export function endpointUrls(supplierUrl: string, paths: EndpointPaths): Partial<Record<ProducerResourceType, string>> {
  const base = supplierUrl.replace(/\/+$/, '');
  const out: Partial<Record<ProducerResourceType, string>> = {};
  for (const [type, p] of Object.entries(paths) as Array<[ProducerResourceType, string | undefined]>)
    if (p) out[type] = `${base}${p.startsWith('/') ? p : `/${p}`}`;
  return out;
}

export async function runCheck(opts: CheckRunOptions): Promise<CheckRun> {
  const clock = opts.clock ?? systemClock;
  const started = performance.now();
  const generatedAt = clock.now();
  const transport = opts.transport ?? httpTransport();
  const endpoints = endpointUrls(opts.supplierUrl, opts.paths);
  const selection: Selection = opts.selection ?? {};
  const checks = selectChecks(selection, CATALOGUE);
  const credentials = createCredentials({
    access: opts.access,
    nhsLogin: opts.nhsLogin,
    clock,
    forgeryKey: opts.forgeryKey,
  });
  const roster = chooseRoster(opts.pack, clock.now());
  const needsSupplier = checks.some((c) => c.endpoint !== 'RecordService');

  if (needsSupplier && Object.keys(endpoints).length > 0) {
    // Any HTTP answer proves the supplier is there; only a connection failure stops the run (exit 3).
    const first = Object.values(endpoints)[0]!;
    await transport({
      method: 'GET',
      url: first,
      headers: {},
      label: 'reachability',
      access: 'none',
      idToken: 'none',
    }).catch((e) => {
      if (e instanceof UnreachableError) throw e;
      throw new UnreachableError(first, e);
    });
    await credentials.accessToken();
  }

  const ctx: CheckContext = {
    transport,
    endpoints,
    credentials,
    pack: new PackIndex(opts.pack),
    roster,
    clock,
    ...(opts.platform ? { platform: opts.platform } : {}),
    includeThrottle: opts.includeThrottle ?? false,
    memo: new Map(),
  };
  const results = await runChecks(checks, ctx, { onResult: opts.onResult });
  const notices = [...(opts.notices ?? [])];
  if (!opts.includeThrottle && checks.some((c) => c.optIn === 'throttle'))
    notices.push(
      'the 429 burst checks (XX-20) were skipped: add --include-throttle to send a short, bounded burst above 60 TPS',
    );
  const report = buildCheckReport({
    results,
    version: harnessVersion(),
    generatedAt,
    durationMs: performance.now() - started,
    target: {
      supplierUrl: opts.supplierUrl,
      endpoints: Object.fromEntries(
        (Object.keys(DEFAULT_PATHS) as ProducerResourceType[]).map((t) => [t, endpoints[t] ?? 'not offered']),
      ),
      nhsLogin: opts.nhsLogin.url,
      ...(opts.platform ? { platformUrl: opts.platform.url, clientId: opts.platform.clientId } : {}),
    },
    options: {
      suites: selection.suites ?? ([...SUITES] as SuiteName[]),
      ...(selection.only ? { only: selection.only } : {}),
      includeThrottle: opts.includeThrottle ?? false,
      ...(opts.platform?.since ? { since: opts.platform.since } : {}),
    },
    packName: opts.pack.name,
    roster,
    curl: {
      tokenUrl: opts.access.kind === 'client-credentials' ? opts.access.tokenUrl : undefined,
      nhsLoginUrl: opts.nhsLogin.url,
      nhsLoginPersistent: opts.nhsLogin.persistent ?? false,
    },
    notices,
  });
  return { report, results };
}
