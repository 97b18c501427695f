/**
 * Reports of a supplier verification: verify.json (the whole result, NHS numbers masked), junit.xml
 * (one test case per interaction, through the shared JUnit writer) and the console summary.
 */
import path from 'node:path';
import { redact } from '../../core/redact';
import { type JUnitCase, renderJUnit } from '../report/junit';
import type { SupplierVerification } from './verify';
import type { InteractionOutcome, Problem } from './verifier-results';

export interface PublishInfo {
  broker: string;
  pactUrl?: string;
  providerVersion: string;
  providerBranch?: string;
  published: boolean;
  resultsUrl?: string;
  error?: string;
}

export interface VerifyReport {
  tool: 'pca-harness';
  kind: 'pact-verification';
  version: string;
  verifiedAt: string;
  durationMs: number;
  supplierUrl: string;
  pact: SupplierVerification['pact'];
  states: string;
  summary: { interactions: number; passed: number; failed: number; verified: boolean };
  interactions: InteractionOutcome[];
  runProblems: Problem[];
  notices: string[];
  publish?: PublishInfo;
}

export function buildVerifyReport(v: SupplierVerification, version: string, publish?: PublishInfo): VerifyReport {
  const passed = v.interactions.filter((i) => i.outcome === 'passed').length;
  // Mismatch excerpts are the supplier's own responses: they may name patients.
  return redact({
    tool: 'pca-harness',
    kind: 'pact-verification',
    version,
    verifiedAt: v.verifiedAt,
    durationMs: Math.round(v.durationMs),
    supplierUrl: v.supplierUrl,
    pact: v.pact,
    states: v.states,
    summary: {
      interactions: v.interactions.length,
      passed,
      failed: v.interactions.length - passed,
      verified: v.passed,
    },
    interactions: v.interactions,
    runProblems: v.runProblems,
    notices: v.notices,
    ...(publish ? { publish } : {}),
  });
}

function problemLine(p: Problem): string {
  const where = p.where ? ` ${p.where}` : '';
  return `${p.type}${where}: ${p.message}`;
}

function problemBody(problems: Problem[]): string {
  return problems
    .map((p) => {
      const lines = [problemLine(p)];
      if (p.expected !== undefined) lines.push(`  expected: ${p.expected}`);
      if (p.actual !== undefined) lines.push(`  actual:   ${p.actual}`);
      return lines.join('\n');
    })
    .join('\n');
}

export function renderVerifyJUnit(r: VerifyReport): string {
  const classname = `pact.${r.pact.consumer}.${r.pact.provider}`;
  const cases: JUnitCase[] = r.interactions.map((i) => ({
    name: i.state ? `${i.description} (given ${i.state})` : i.description,
    classname,
    timeSeconds: (i.durationMs ?? 0) / 1000,
    ...(i.outcome === 'failed'
      ? {
          failure: {
            message: i.problems[0] ? problemLine(i.problems[0]) : 'failed',
            type: 'PactMismatch',
            body: problemBody(i.problems),
          },
        }
      : {}),
  }));
  if (r.runProblems.length) {
    cases.push({
      name: 'verification run',
      classname,
      error: { message: problemLine(r.runProblems[0]!), type: 'PactVerifier', body: problemBody(r.runProblems) },
    });
  }
  return renderJUnit(
    [
      {
        name: `Pact ${r.pact.consumer} -> ${r.pact.provider}`,
        timestamp: r.verifiedAt,
        properties: {
          supplier: r.supplierUrl,
          pact: path.basename(r.pact.file),
          pactSha256: r.pact.sha256,
          states: r.states,
        },
        cases,
      },
    ],
    'pca-harness verify',
  );
}

export function renderVerifyConsole(r: VerifyReport, opts: { reportFiles?: Record<string, string> } = {}): string {
  const s = r.summary;
  const out = [
    `pca-harness verify ${r.supplierUrl}: pact ${r.pact.consumer} -> ${r.pact.provider} (${path.basename(r.pact.file)}), ${s.interactions} interactions, ${s.passed} verified, ${s.failed} failed (${(r.durationMs / 1000).toFixed(1)} s)`,
    `provider states: ${r.states}`,
  ];
  for (const n of r.notices) out.push(`note: ${n}`);
  out.push('');
  // Failures first, each with what was wrong; passes one line each, so every interaction is named.
  const ordered = [...r.interactions].sort((a, b) => (a.outcome === b.outcome ? 0 : a.outcome === 'failed' ? -1 : 1));
  for (const i of ordered) {
    out.push(`  ${i.outcome === 'passed' ? 'PASS' : 'FAIL'}  ${i.description}${i.state ? `  [given ${i.state}]` : ''}`);
    if (i.outcome === 'failed') {
      for (const p of i.problems.slice(0, 6)) {
        out.push(`        - ${problemLine(p)}`);
        if (p.expected !== undefined) out.push(`          expected: ${p.expected.slice(0, 200)}`);
        if (p.actual !== undefined) out.push(`          actual:   ${p.actual.slice(0, 200)}`);
      }
      if (i.problems.length > 6) out.push(`        ... and ${i.problems.length - 6} more in verify.json`);
    }
  }
  for (const p of r.runProblems) out.push(`  ERROR ${problemLine(p)}`);
  out.push('');
  if (r.publish) {
    out.push(
      r.publish.published
        ? `verification results published to ${r.publish.broker} for provider version ${r.publish.providerVersion}`
        : `verification results NOT published: ${r.publish.error ?? 'unknown reason'}`,
    );
  }
  if (opts.reportFiles) out.push(`reports: ${Object.values(opts.reportFiles).join(', ')}`);
  out.push(
    s.verified
      ? `VERIFIED: the supplier honours every interaction of the ${r.pact.consumer} -> ${r.pact.provider} contract`
      : `FAILED: ${s.failed} of ${s.interactions} interactions not honoured: ${r.interactions
          .filter((i) => i.outcome === 'failed')
          .map((i) => `"${i.description}"`)
          .join(', ')}`,
  );
  return `${out.join('\n')}\n`;
}
