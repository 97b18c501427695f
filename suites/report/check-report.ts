/**
 * The report of a `check` run as data (report.json), built once from the results; the console
 * summary, junit.xml and report.html are renderings of this object, so they cannot disagree.
 * Everything in it is already masked: NHS numbers as 999******8, tokens as placeholders.
 */
import { maskNhsNumbersInText, redactText } from '../../core/redact';
import { type Endpoint, type Family, type Finding, type Outcome, type SuiteName, passes } from '../checks/check';
import { type CoverageRow, coverage } from '../checks/catalogue';
import { type CurlContext, type EvidenceItem, evidenceOf, patientLabel } from '../evidence/exchange-evidence';
import type { CheckResult } from '../checks/runner';
import type { Roster } from '../checks/check';
import { describeRoster } from '../checks/roster';
import type { MoSCoW, RequirementLevel } from '../checks/requirements';
import type { SuiteSummary } from './summary';

/** A finding as reports carry it: NHS numbers masked. */
export type ReportFinding = Finding;

export interface ReportCheck {
  id: string;
  title: string;
  family: Family;
  level: RequirementLevel;
  requirements: string[];
  endpoint: Endpoint;
  suite: SuiteName;
  description: string;
  fix: string;
  outcome: Outcome;
  durationMs: number;
  note?: string;
  reason?: string;
  message?: string;
  findings: ReportFinding[];
  /** A `warn` verdict's findings: each names its erratum and what would be safe under every reading. */
  warnings: ReportFinding[];
  evidence: EvidenceItem[];
}

export interface ContractPassRecord {
  recorded: boolean;
  clientId?: string;
  /** Where: the platform URL, or the contract-pass.json file. */
  where?: string;
  /** Why no pass was recorded. */
  reason?: string;
}

export interface ReportSummary {
  total: number;
  pass: number;
  /** Passed with warnings (a reading of a contradicting spec; docs/spec-errata.md). */
  warn: number;
  fail: number;
  skip: number;
  error: number;
  /** MUST checks that failed or errored: these, and only these, make the run fail. */
  mustFailed: string[];
  shouldFailed: string[];
  passed: boolean;
}

export interface CheckReport {
  tool: 'pca-harness';
  command: 'check';
  version: string;
  generatedAt: string;
  durationMs: number;
  target: {
    supplierUrl: string;
    endpoints: Partial<Record<string, string>>;
    nhsLogin: string;
    platformUrl?: string;
    clientId?: string;
  };
  options: {
    suites: SuiteName[];
    only?: string[];
    includeThrottle: boolean;
    reportsMiv2Events?: boolean;
    since?: string;
  };
  pack: { name: string; patients: Array<{ role: string; patient: string }> };
  summary: ReportSummary;
  checks: ReportCheck[];
  coverage: Array<
    Omit<CoverageRow, 'requirement'> & {
      id: string;
      title: string;
      source: string;
      section: string;
      moscow?: MoSCoW;
      summary: string;
    }
  >;
  contractPass?: ContractPassRecord;
  /** Things the person running the check should know (fallbacks taken, opt-ins not used). */
  notices: string[];
}

function maskFinding(f: Finding): ReportFinding {
  const m = (s?: string) => (s === undefined ? undefined : redactText(s));
  return {
    title: redactText(f.title),
    hint: redactText(f.hint),
    ...(f.pointer !== undefined ? { pointer: f.pointer } : {}),
    ...(f.received !== undefined ? { received: m(f.received) } : {}),
    ...(f.expected !== undefined ? { expected: m(f.expected) } : {}),
    ...(f.erratum !== undefined ? { erratum: f.erratum } : {}),
  };
}

export interface BuildReportInput {
  results: CheckResult[];
  version: string;
  generatedAt: Date;
  durationMs: number;
  target: CheckReport['target'];
  options: CheckReport['options'];
  packName: string;
  roster: Roster;
  curl: CurlContext;
  notices?: string[];
}

export function buildCheckReport(input: BuildReportInput): CheckReport {
  const checks: ReportCheck[] = input.results.map(({ check, verdict, durationMs }) => {
    const v = verdict;
    return {
      id: check.id,
      title: check.title,
      family: check.family,
      level: check.level,
      requirements: check.requirements,
      endpoint: check.endpoint,
      suite: check.suite,
      description: check.description,
      fix: check.fix,
      outcome: v.outcome,
      durationMs: Math.round(durationMs),
      ...((v.outcome === 'pass' || v.outcome === 'warn') && v.note ? { note: redactText(v.note) } : {}),
      ...(v.outcome === 'skip' ? { reason: redactText(v.reason) } : {}),
      ...(v.outcome === 'error' ? { message: redactText(v.message) } : {}),
      findings: v.outcome === 'fail' ? v.findings.map(maskFinding) : [],
      warnings: v.outcome === 'warn' ? v.warnings.map(maskFinding) : [],
      evidence: v.exchanges.map((e) => evidenceOf(e, input.curl)),
    };
  });
  const count = (o: Outcome) => checks.filter((c) => c.outcome === o).length;
  const bad = (c: ReportCheck) => c.outcome === 'fail' || c.outcome === 'error';
  const mustFailed = checks.filter((c) => c.level === 'MUST' && bad(c)).map((c) => c.id);
  const shouldFailed = checks.filter((c) => c.level === 'SHOULD' && bad(c)).map((c) => c.id);
  const outcomes = new Map(checks.map((c) => [c.id, c.outcome] as const));
  const selected = new Set(checks.map((c) => c.id));
  const cov = coverage(outcomes).map((row) => ({
    id: row.requirement.id,
    title: row.requirement.title,
    source: row.requirement.source,
    section: row.requirement.section,
    /** The spec's MoSCoW as given ('M', 'M/S'); absent where the spec gives none. */
    ...(row.requirement.moscow ? { moscow: row.requirement.moscow } : {}),
    summary: row.requirement.summary,
    url: row.url,
    // Checks left out by --only/--suites are listed without an outcome: "not run".
    checks: row.checks.map((c) => (selected.has(c.id) ? c : { id: c.id })),
    status: row.status,
    ...(row.reason ? { reason: row.reason } : {}),
  }));
  return {
    tool: 'pca-harness',
    command: 'check',
    version: input.version,
    generatedAt: input.generatedAt.toISOString(),
    durationMs: Math.round(input.durationMs),
    target: { ...input.target, supplierUrl: maskNhsNumbersInText(input.target.supplierUrl) },
    options: input.options,
    pack: {
      name: input.packName,
      patients: describeRoster(input.roster).map((r) => ({
        role: r.role,
        patient: r.patient ? patientLabel(r.patient) : 'none in the pack',
      })),
    },
    summary: {
      total: checks.length,
      pass: count('pass'),
      warn: count('warn'),
      fail: count('fail'),
      skip: count('skip'),
      error: count('error'),
      mustFailed,
      shouldFailed,
      passed: mustFailed.length === 0,
    },
    checks,
    coverage: cov,
    notices: input.notices ?? [],
  };
}

/**
 * The check run as one row of the cross-suite index (suites/report/summary.ts): `dir` is where its
 * files sit relative to the index, `check` by default.
 */
export function checkSuiteSummary(r: CheckReport, dir = 'check'): SuiteSummary {
  const must = r.checks.filter((c) => c.level === 'MUST' && c.outcome !== 'skip');
  const mustPassed = must.filter((c) => passes(c.outcome)).length;
  const ran = r.checks.some((c) => c.outcome !== 'skip');
  return {
    key: 'check',
    title: 'Conformance checks (schema and rules)',
    verdict: !ran ? 'skipped' : r.summary.passed ? 'pass' : 'fail',
    headline: `${mustPassed} of ${must.length} MUST checks passed${r.summary.warn ? ` (${r.summary.warn} with warnings)` : ''}${r.summary.skip ? `, ${r.summary.skip} skipped` : ''}`,
    counts: {
      passed: r.summary.pass,
      warned: r.summary.warn,
      failed: r.summary.fail,
      skipped: r.summary.skip,
      errors: r.summary.error,
    },
    files: {
      'report.html': `${dir}/report.html`,
      'report.json': `${dir}/report.json`,
      'junit.xml': `${dir}/junit.xml`,
    },
    highlights: r.checks
      .filter((c) => c.outcome === 'fail' || c.outcome === 'error')
      .map((c) => `${c.id} ${c.title}: ${c.findings[0]?.title ?? c.message ?? ''}`),
    warnings: r.checks
      .filter((c) => c.outcome === 'warn')
      .map((c) => `${c.id} ${c.title}: ${c.warnings.map(warningLine).join('; ')}`),
    durationMs: r.durationMs,
  };
}

/** One line for a warning: `E-08: Task.identifier is one object ...`. */
export function warningLine(f: ReportFinding): string {
  return `${f.erratum ? `${f.erratum}: ` : ''}${f.title}`;
}
