/**
 * The check catalogue: every check of every family, in the order reports list them, plus the
 * views generated from it (selection for --only/--suites, the markdown table in docs/checks.md,
 * the requirement coverage matrix). Nothing here is written by hand twice.
 */
import { type Check, FAMILY_NAMES, type Family, type Outcome, type SuiteName } from './check';
import { DR_CHECKS } from './dr';
import { GA_CHECKS } from './ga';
import { RS_CHECKS } from './rs';
import { TK_CHECKS } from './tk';
import { REQUIREMENTS, type Requirement, isRequirementId, requirementUrl } from './requirements';

export const CATALOGUE: readonly Check[] = [...GA_CHECKS, ...DR_CHECKS, ...TK_CHECKS, ...RS_CHECKS];

export const FAMILIES: readonly Family[] = ['GA', 'DR', 'TK', 'RS'];

/** Catalogue integrity, asserted by tests: unique ids, known requirements, ids shaped FAMILY-NN. */
export function catalogueProblems(checks: readonly Check[] = CATALOGUE): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of checks) {
    if (seen.has(c.id)) problems.push(`duplicate check id ${c.id}`);
    seen.add(c.id);
    if (!new RegExp(`^${c.family}-\\d{2}$`).test(c.id)) problems.push(`${c.id}: id must be ${c.family}-NN`);
    if (c.requirements.length === 0) problems.push(`${c.id}: cites no requirement`);
    for (const r of c.requirements) if (!isRequirementId(r)) problems.push(`${c.id}: unknown requirement ${r}`);
  }
  return problems;
}

export interface Selection {
  /** Check ids or family prefixes (`GA`, `RS-03`). */
  only?: string[];
  suites?: SuiteName[];
}

export function selectChecks(sel: Selection, checks: readonly Check[] = CATALOGUE): Check[] {
  return checks.filter(
    (c) =>
      (!sel.suites || sel.suites.includes(c.suite)) &&
      (!sel.only || sel.only.includes(c.id) || sel.only.includes(c.family)),
  );
}

// ---------------------------------------------------------------------------------------------
// Coverage

export type CoverageStatus = 'verified' | 'partly-verified' | 'failed' | 'not-verified' | 'not-covered';

export interface CoverageRow {
  requirement: Requirement;
  url: string;
  checks: Array<{ id: string; outcome?: Outcome }>;
  status: CoverageStatus;
  /** Why it is not (fully) verified. */
  reason?: string;
}

/**
 * The matrix: each requirement, the checks that verify it and how they came out. With no outcomes
 * (the catalogue alone) a covered requirement is `not-verified`; `not-covered` means no check cites it.
 */
export function coverage(
  outcomes: ReadonlyMap<string, Outcome> = new Map(),
  checks: readonly Check[] = CATALOGUE,
): CoverageRow[] {
  return REQUIREMENTS.map((req) => {
    const citing = checks.filter((c) => c.requirements.includes(req.id));
    const rows = citing.map((c) => ({ id: c.id, outcome: outcomes.get(c.id) }));
    const url = requirementUrl(req);
    if (citing.length === 0)
      return {
        requirement: req,
        url,
        checks: [],
        status: 'not-covered' as const,
        reason: req.notCheckedBecause ?? 'no check in the catalogue verifies it yet',
      };
    const ran = rows.filter((r) => r.outcome);
    if (ran.some((r) => r.outcome === 'fail' || r.outcome === 'error'))
      return { requirement: req, url, checks: rows, status: 'failed' as const };
    const passed = ran.filter((r) => r.outcome === 'pass').length;
    if (passed === 0) {
      return {
        requirement: req,
        url,
        checks: rows,
        status: 'not-verified' as const,
        reason: ran.length ? 'its checks were skipped' : 'its checks were not run',
      };
    }
    if (passed < rows.length)
      return {
        requirement: req,
        url,
        checks: rows,
        status: 'partly-verified' as const,
        reason: `${rows.length - passed} of ${rows.length} checks skipped or not run`,
      };
    return { requirement: req, url, checks: rows, status: 'verified' as const };
  });
}

// ---------------------------------------------------------------------------------------------
// Markdown (docs/checks.md embeds these verbatim; a test keeps them equal)

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function renderCatalogueMarkdown(checks: readonly Check[] = CATALOGUE): string {
  const out: string[] = [];
  for (const f of FAMILIES) {
    const mine = checks.filter((c) => c.family === f);
    if (mine.length === 0) continue;
    out.push(
      `### ${f}: ${FAMILY_NAMES[f]}`,
      '',
      '| id | level | suite | title | requirements |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const c of mine) {
      const note = c.optIn ? ' (opt-in: `--include-throttle`)' : '';
      out.push(`| ${c.id} | ${c.level} | ${c.suite} | ${cell(c.title)}${note} | ${c.requirements.join(', ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** `GA-08, DR-08, TK-08, RS-05` -> `GA/DR/TK-08, RS-05`: the same check in every producer family, once. */
export function compactIds(ids: string[]): string {
  const out: string[] = [];
  const done = new Set<string>();
  for (const id of ids) {
    if (done.has(id)) continue;
    const n = id.slice(3);
    const triple = ['GA', 'DR', 'TK'].map((f) => `${f}-${n}`);
    if (id.slice(0, 2) !== 'RS' && triple.every((t) => ids.includes(t))) {
      out.push(`GA/DR/TK-${n}`);
      triple.forEach((t) => done.add(t));
    } else {
      out.push(id);
      done.add(id);
    }
  }
  return out.join(', ');
}

const SHORT_SOURCE: Record<Requirement['source'], string> = {
  'producer-standard': 'producer standard',
  'record-service-api': 'Record Service API',
};

export function renderCoverageMarkdown(checks: readonly Check[] = CATALOGUE): string {
  const rows = coverage(new Map(), checks);
  const out = [
    '| requirement | where | level | title | verified by | not checked because |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const ids = compactIds(r.checks.map((c) => c.id));
    out.push(
      `| [${r.requirement.id}](${r.url}) | ${SHORT_SOURCE[r.requirement.source]}: ${cell(r.requirement.section)} | ${r.requirement.level} | ${cell(r.requirement.title)} | ${ids || '-'} | ${r.status === 'not-covered' ? cell(r.reason ?? '') : ''} |`,
    );
  }
  return `${out.join('\n')}\n`;
}
