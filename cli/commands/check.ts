/**
 * `pca-harness check`: runs the conformance catalogue against a supplier and writes the console
 * summary, report.json, junit.xml and report.html. Thin: parse, call runCheck, map to an exit code.
 */
import path from 'node:path';
import type { ProducerResourceType } from '../../core/fhir';
import type { HarnessConfig } from '../../core/config';
import { KeyRing } from '../../core/keys';
import { NHS_LOGIN_KEY } from '../../mocks/nhs-login/app';
import { loadPack } from '../../fixtures/default-pack';
import { SUITES, type SuiteName } from '../../suites/checks/check';
import { CATALOGUE, FAMILIES, coverage, renderCatalogueMarkdown } from '../../suites/checks/catalogue';
import { recordContractPass } from '../../suites/checks/contract-pass';
import type { AccessConfig } from '../../suites/access/credentials';
import { startNhsLogin, type NhsLoginSession } from '../../suites/access/nhs-login-session';
import { renderConsoleSummary } from '../../suites/report/check-console';
import { renderCheckHtml } from '../../suites/report/check-html';
import { renderCheckJUnit } from '../../suites/report/check-junit';
import { writeReportFiles } from '../../suites/report/files';
import { type EndpointPaths, runCheck } from '../../suites/checks/run-check';
import {
  type CliIo,
  type CommandModule,
  ExitCode,
  UsageError,
  addConfigOption,
  addReportDirOption,
  addSupplierAccessOptions,
  loadCliConfig,
  parseDuration,
} from '../common';

interface CheckOptions {
  supplier?: string;
  paths?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  bearer?: string;
  recordsClientId?: string;
  platformUrl?: string;
  since?: string;
  pack?: string;
  suites?: string;
  only?: string;
  includeThrottle?: boolean;
  reportDir: string;
  list?: boolean;
  coverage?: boolean;
  config?: string;
}

/** A key that is never in any JWKS: what forged ID tokens are signed with. */
const FORGERY_KEY = 'check-forgery';

const PATH_KEYS: Record<string, ProducerResourceType> = {
  appointments: 'Appointment',
  documents: 'DocumentReference',
  tasks: 'Task',
};

export function parsePaths(v: string): EndpointPaths {
  const out: EndpointPaths = {};
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim().toLowerCase() : '';
    const p = eq > 0 ? part.slice(eq + 1).trim() : '';
    const type = PATH_KEYS[key];
    if (!type) throw new UsageError(`--paths: "${part}" must be appointments=/Path, documents=/Path or tasks=/Path`);
    if (!/^\/[^?#\s]*$/.test(p))
      throw new UsageError(`--paths: the path for ${key} must start with "/" and have no query, got "${p}"`);
    out[type] = p;
  }
  if (Object.keys(out).length === 0)
    throw new UsageError('--paths needs at least one endpoint, e.g. appointments=/Appointment');
  return out;
}

/** `--paths` when given, else the supplier paths of the config. */
export function pathsFromFlagOrConfig(flag: string | undefined, config: HarnessConfig): EndpointPaths {
  if (flag) return parsePaths(flag);
  const p = config.supplier.paths;
  return { Appointment: p.appointments, DocumentReference: p.documents, Task: p.tasks };
}

export function parseSuites(v: string): SuiteName[] {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = names.filter((n) => !(SUITES as readonly string[]).includes(n));
  if (bad.length)
    throw new UsageError(
      `unknown suite(s) ${bad.join(', ')}: check runs ${SUITES.join(' and ')} (EVA runs with \`pca-harness replay\`, load with \`pca-harness load\`)`,
    );
  if (names.length === 0) throw new UsageError('--suites needs at least one of schema, rules');
  return names as SuiteName[];
}

export function parseOnly(v: string): string[] {
  const ids = v
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const known = new Set(CATALOGUE.map((c) => c.id));
  const bad = ids.filter((id) => !known.has(id) && !(FAMILIES as readonly string[]).includes(id));
  if (bad.length)
    throw new UsageError(
      `unknown check id(s) ${bad.join(', ')}; \`pca-harness check --list\` prints the catalogue (ids like GA-07, or a family: GA, DR, TK, RS)`,
    );
  if (ids.length === 0) throw new UsageError('--only needs at least one check id');
  return ids;
}

/** `--since 2025-01-31T09:00:00Z` or a duration back from now (`15m`, `1h` as `60m`). */
export function parseSince(v: string, now: Date): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new UsageError(`--since "${v}" is not a date-time`);
    return d.toISOString();
  }
  return new Date(now.getTime() - parseDuration(v)).toISOString();
}

function httpUrl(name: string, v: string): string {
  if (!/^https?:\/\/[^/]/.test(v)) throw new UsageError(`${name} must be an http(s) URL, got "${v}"`);
  return v.replace(/\/+$/, '');
}

function renderList(io: CliIo, withCoverage: boolean): void {
  if (!withCoverage) {
    io.out(renderCatalogueMarkdown());
    return;
  }
  const rows = coverage();
  const lines = ['Requirement coverage (which checks verify what):', ''];
  for (const r of rows.filter((x) => x.status !== 'not-covered'))
    lines.push(
      `  ${r.requirement.id.padEnd(22)} ${r.requirement.level.padEnd(6)} ${r.requirement.title}: ${r.checks.map((c) => c.id).join(', ')}`,
    );
  lines.push('', 'Not covered by any check:', '');
  for (const r of rows.filter((x) => x.status === 'not-covered'))
    lines.push(`  ${r.requirement.id.padEnd(22)} ${r.requirement.title}: ${r.reason}`);
  io.out(`${lines.join('\n')}\n`);
}

const checkCommand: CommandModule = {
  register(program, io, setExit) {
    const cmd = addSupplierAccessOptions(
      program
        .command('check')
        .description(
          "run the conformance checks (schema and rules) against a supplier's API and its Record Service uploads",
        ),
    )
      .option(
        '--records-client-id <id>',
        'your PCA clientId: RS checks judge its uploads, and a passing run records the contract pass for it',
      )
      .option(
        '--platform-url <url>',
        'a running `pca-harness serve`: mint ID tokens there, judge uploads it saw, record the contract pass there',
      )
      .option('--since <when>', 'RS checks: judge uploads since this ISO date-time, or this long ago (e.g. 15m)')
      .option('--pack <file>', 'fixture pack (default: config pack, or the built-in default pack)')
      .option('--suites <list>', `suites to run: ${SUITES.join(',')} (default: all)`)
      .option('--only <ids>', 'run only these checks or families, e.g. GA-07,DR or RS')
      .option('--include-throttle', 'also send the short, bounded burst above 60 TPS that the 429 checks (XX-20) need')
      .option('--list', 'print the check catalogue and exit')
      .option('--coverage', 'with --list: print which requirements each check verifies and which no check covers');
    addReportDirOption(cmd);
    addConfigOption(cmd);
    cmd.addHelpText(
      'after',
      `
Each check cites the requirement it verifies (WF-NFR-* or a section of the specification) and
returns pass, fail, skip (with the reason) or error, with the evidence: request, status, headers and
a body excerpt (NHS numbers masked) and a curl command that reproduces it.

Without --platform-url, check runs the NHS login mock itself on the issuer the supplier trusts
(config supplier.nhsLoginIssuer, default http://127.0.0.1:7070/nhs-login), keys in the state dir.

Exit codes: 0 every MUST check passed, 1 a MUST check failed, 2 usage or configuration error
(including credentials the supplier refused), 3 the supplier is unreachable.

Examples:
  pca-harness check --supplier http://127.0.0.1:7171
  pca-harness check --supplier https://pep.example.nhs.uk --paths appointments=/fhir/Appointment --token-url https://pep.example.nhs.uk/oauth2/token --client-id pca --client-secret "$SECRET"
  pca-harness check --supplier http://127.0.0.1:7171 --platform-url http://127.0.0.1:7070 --records-client-id pep-appointments
  pca-harness check --supplier http://127.0.0.1:7171 --only GA-05,GA-16 --report-dir out/
  pca-harness check --list --coverage`,
    );
    cmd.action(async (opts: CheckOptions) => {
      if (opts.list) {
        renderList(io, Boolean(opts.coverage));
        setExit(ExitCode.ok);
        return;
      }
      if (opts.coverage)
        throw new UsageError("--coverage goes with --list (a run's report always carries the coverage matrix)");
      if (!opts.supplier) throw new UsageError('--supplier <url> is required (or --list to print the catalogue)');
      if (opts.bearer && (opts.tokenUrl || opts.clientId || opts.clientSecret))
        throw new UsageError('give either --bearer or --token-url/--client-id/--client-secret, not both');
      const supplierUrl = httpUrl('--supplier', opts.supplier);
      const { config } = loadCliConfig(io, opts);
      const now = new Date();
      const paths: EndpointPaths = pathsFromFlagOrConfig(opts.paths, config);
      const selection = {
        ...(opts.suites ? { suites: parseSuites(opts.suites) } : {}),
        ...(opts.only ? { only: parseOnly(opts.only) } : {}),
      };
      const platform = opts.platformUrl ? httpUrl('--platform-url', opts.platformUrl) : undefined;
      const since = opts.since ? parseSince(opts.since, now) : undefined;
      const notices: string[] = [];
      const access: AccessConfig = opts.bearer
        ? { kind: 'bearer', token: opts.bearer }
        : {
            kind: 'client-credentials',
            tokenUrl: opts.tokenUrl ? httpUrl('--token-url', opts.tokenUrl) : `${supplierUrl}/oauth2/token`,
            clientId: opts.clientId ?? config.supplier.clientId,
            clientSecret: opts.clientSecret ?? config.supplier.clientSecret,
          };
      if (!opts.bearer && !opts.tokenUrl)
        notices.push(
          `access tokens from ${supplierUrl}/oauth2/token with the configured client credentials (give --token-url or --bearer for another supplier)`,
        );
      const pack = loadPack(opts.pack ? path.resolve(io.cwd, opts.pack) : config.pack || undefined, now);
      const stateDir = path.resolve(io.cwd, config.stateDir);

      let nhsLogin: NhsLoginSession;
      if (platform) {
        const issuer = `${platform}/nhs-login`;
        nhsLogin = { url: issuer, issuer, persistent: true, close: async () => undefined };
        // The platform's key is in its state dir; when that is ours, other-issuer tokens can be signed.
        nhsLogin.signingKey = await new KeyRing(stateDir).get(NHS_LOGIN_KEY);
      } else {
        nhsLogin = await startNhsLogin({ issuer: config.supplier.nhsLoginIssuer, stateDir, pack });
        if (nhsLogin.notice) notices.push(nhsLogin.notice);
      }
      if (opts.recordsClientId && !platform)
        notices.push(
          "RS checks need --platform-url as well as --records-client-id: they read what the platform's Record Service saw",
        );
      // Kept in the state dir like the NHS login key, so a run need not generate an RSA key each time.
      const forgeryKey = await new KeyRing(stateDir).get(FORGERY_KEY);
      io.err(`checking ${supplierUrl} (${Object.keys(paths).join(', ')}) with NHS login ${nhsLogin.url}...`);
      try {
        const { report } = await runCheck({
          supplierUrl,
          paths,
          access,
          nhsLogin,
          forgeryKey,
          ...(platform && opts.recordsClientId
            ? { platform: { url: platform, clientId: opts.recordsClientId, ...(since ? { since } : {}) } }
            : {}),
          pack,
          selection,
          includeThrottle: Boolean(opts.includeThrottle),
          notices,
          onResult: (r, done, total) => {
            if (r.verdict.outcome === 'fail' || r.verdict.outcome === 'error' || done === total)
              io.err(`  [${done}/${total}] ${r.check.id} ${r.verdict.outcome}`);
          },
        });
        const reportDir = path.resolve(io.cwd, opts.reportDir);
        report.contractPass = await recordContractPass({
          report,
          clientId: opts.recordsClientId,
          platformUrl: platform,
          stateDir,
          reportPath: path.join(reportDir, 'report.json'),
        });
        const files = await writeReportFiles(reportDir, {
          'report.json': `${JSON.stringify(report, null, 2)}\n`,
          'junit.xml': renderCheckJUnit(report),
          'report.html': renderCheckHtml(report),
        });
        io.out(renderConsoleSummary(report, { reportFiles: files }));
        setExit(report.summary.passed ? ExitCode.ok : ExitCode.checkFailed);
      } finally {
        await nhsLogin.close();
      }
    });
  },
};

export default checkCommand;
