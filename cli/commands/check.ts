/**
 * `pca-harness check`: runs the conformance catalogue against a supplier and writes the console
 * summary, report.json, junit.xml and report.html. Thin: parse, call runCheck, map to an exit code.
 */
import path from 'node:path';
import { supplierAccess } from '../../core/access';
import { SUITES, type SuiteName } from '../../suites/checks/check';
import { CATALOGUE, FAMILIES, coverage, renderCatalogueMarkdown } from '../../suites/checks/catalogue';
import { runChecks } from '../../suites/checks/run-checks';
import { renderConsoleSummary } from '../../suites/report/check-console';
import {
  type CliIo,
  type CommandModule,
  ExitCode,
  UsageError,
  addAdminTokenOption,
  addConfigOption,
  adminTokenFor,
  addReportDirOption,
  addSupplierAccessOptions,
  httpUrl,
  loadCliConfig,
  loadCliPack,
  parseDuration,
  pathsFromFlagOrConfig,
} from '../common';
export { parsePaths } from '../common';

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
  miv2?: boolean;
  reportDir: string;
  list?: boolean;
  coverage?: boolean;
  config?: string;
  adminToken?: string;
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

function renderList(io: CliIo, withCoverage: boolean): void {
  if (!withCoverage) {
    io.out(renderCatalogueMarkdown());
    return;
  }
  const rows = coverage();
  const lines = ['Requirement coverage (which checks verify what):', ''];
  const untested = (x: (typeof rows)[number]) => x.status === 'not-covered' || x.status === 'not-testable';
  for (const r of rows.filter((x) => !untested(x)))
    lines.push(
      `  ${r.requirement.id.padEnd(34)} ${(r.requirement.moscow ?? '-').padEnd(4)} ${r.requirement.title}: ${r.checks.map((c) => c.id).join(', ')}${r.requirement.unobservable ? ` (not observable: ${r.requirement.unobservable})` : ''}`,
    );
  lines.push('', 'Not testable through the API (or not covered yet):', '');
  for (const r of rows.filter(untested))
    lines.push(
      `  ${r.requirement.id.padEnd(34)} ${(r.requirement.moscow ?? '-').padEnd(4)} ${r.requirement.title}: ${r.reason}`,
    );
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
      .option(
        '--miv2',
        'the supplier reports MIv2 events: its deep links must carry extSystemName and trackingId = X-Correlation-ID (XX-37)',
      )
      .option('--list', 'print the check catalogue and exit')
      .option('--coverage', 'with --list: print which requirements each check verifies and which no check covers');
    addReportDirOption(cmd);
    addConfigOption(cmd);
    addAdminTokenOption(cmd);
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
      const supplierUrl = httpUrl('--supplier', opts.supplier);
      const { config } = loadCliConfig(io, opts);
      const access = supplierAccess(supplierUrl, opts, config.supplier);
      const notices: string[] = [];
      if (!opts.bearer && !opts.tokenUrl)
        notices.push(
          `access tokens from ${supplierUrl}/oauth2/token with the configured client credentials (give --token-url or --bearer for another supplier)`,
        );
      const platformUrl = opts.platformUrl ? httpUrl('--platform-url', opts.platformUrl) : undefined;
      const platform = platformUrl
        ? { url: platformUrl, adminToken: adminTokenFor(io, config, opts.adminToken) }
        : undefined;
      io.err(
        `checking ${supplierUrl} with NHS login ${platform ? `${platform.url}/nhs-login` : config.supplier.nhsLoginIssuer}...`,
      );
      const result = await runChecks({
        supplierUrl,
        paths: pathsFromFlagOrConfig(opts.paths, config),
        access,
        ...(platform ? { platform } : {}),
        nhsLoginIssuer: config.supplier.nhsLoginIssuer,
        ...(opts.recordsClientId ? { recordsClientId: opts.recordsClientId } : {}),
        ...(opts.since ? { since: parseSince(opts.since, new Date()) } : {}),
        pack: loadCliPack(io, opts.pack, config),
        ...(opts.suites ? { suites: parseSuites(opts.suites) } : {}),
        ...(opts.only ? { only: parseOnly(opts.only) } : {}),
        includeThrottle: Boolean(opts.includeThrottle),
        reportsMiv2Events: Boolean(opts.miv2),
        stateDir: path.resolve(io.cwd, config.stateDir),
        reportDir: path.resolve(io.cwd, opts.reportDir),
        notices,
        onResult: (r, done, total) => {
          if (r.verdict.outcome === 'fail' || r.verdict.outcome === 'error' || done === total)
            io.err(`  [${done}/${total}] ${r.check.id} ${r.verdict.outcome}`);
        },
      });
      io.out(renderConsoleSummary(result.report, { reportFiles: result.files ?? {} }));
      setExit(result.verdict === 'pass' ? ExitCode.ok : ExitCode.checkFailed);
    });
  },
};

export default checkCommand;
