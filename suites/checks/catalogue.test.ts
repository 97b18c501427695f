/**
 * The catalogue is data, and everything shown about it is generated: these tests keep ids,
 * requirements and docs/checks.md from drifting apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CATALOGUE,
  catalogueProblems,
  compactIds,
  coverage,
  renderCatalogueMarkdown,
  renderCoverageMarkdown,
  selectChecks,
} from './catalogue';
import type { Check } from './check';
import { renderFaultExpectationsMarkdown } from './fault-expectations';
import { REQUIREMENTS } from './requirements';

const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'checks.md'), 'utf8');

function between(begin: string, end: string): string {
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  expect(a).toBeGreaterThan(-1);
  expect(b).toBeGreaterThan(a);
  return doc.slice(doc.indexOf('\n', a) + 1, b);
}

describe('the catalogue', () => {
  it('is consistent: unique FAMILY-NN ids, every cited requirement known', () => {
    expect(catalogueProblems()).toEqual([]);
  });

  it('finds broken catalogues', () => {
    const bad = { ...CATALOGUE[0]!, id: 'GA-1', requirements: ['WF-NFR-99'] } as Check;
    expect(catalogueProblems([bad, bad])).toEqual([
      'GA-1: id must be GA-NN',
      'GA-1: unknown requirement WF-NFR-99',
      'duplicate check id GA-1',
      'GA-1: id must be GA-NN',
      'GA-1: unknown requirement WF-NFR-99',
    ]);
  });

  it('covers every endpoint alike: GA, DR and TK share checks 01-20', () => {
    for (let n = 1; n <= 20; n++) {
      const id = String(n).padStart(2, '0');
      const titles = ['GA', 'DR', 'TK'].map((f) =>
        CATALOGUE.find((c) => c.id === `${f}-${id}`)?.requirements.join(','),
      );
      expect(new Set(titles).size).toBe(1);
    }
  });

  it('every requirement is verified by a check or says why it is not', () => {
    const rows = coverage();
    expect(rows).toHaveLength(REQUIREMENTS.length);
    const unexplained = rows
      .filter((r) => r.status === 'not-covered' && !r.requirement.notCheckedBecause)
      .map((r) => r.requirement.id);
    expect(unexplained).toEqual([]);
    // And nothing carries a reason for not being checked while a check does verify it.
    const stale = rows
      .filter((r) => r.status !== 'not-covered' && r.requirement.notCheckedBecause)
      .map((r) => r.requirement.id);
    expect(stale).toEqual([]);
  });

  it('selects by family, id and suite', () => {
    expect(selectChecks({ only: ['RS'] }).map((c) => c.id)).toEqual([
      'RS-01',
      'RS-02',
      'RS-03',
      'RS-04',
      'RS-05',
      'RS-06',
      'RS-07',
      'RS-08',
      'RS-09',
    ]);
    expect(selectChecks({ only: ['GA-05', 'TK'], suites: ['schema'] }).map((c) => c.id)).toEqual(['TK-01']);
  });

  it('compacts ids shared by every producer family', () => {
    expect(compactIds(['GA-08', 'DR-08', 'TK-08', 'GA-22', 'RS-05'])).toBe('GA/DR/TK-08, GA-22, RS-05');
  });
});

describe('coverage with verdicts', () => {
  it('a requirement is failed when any of its checks failed, verified when all passed, not verified when none ran', () => {
    const outcomes = new Map([
      ['GA-05', 'pass'],
      ['DR-05', 'pass'],
      ['TK-05', 'pass'],
      ['GA-19', 'fail'],
      ['GA-16', 'pass'],
      ['DR-16', 'skip'],
    ] as const);
    const rows = new Map(coverage(outcomes).map((r) => [r.requirement.id, r]));
    expect(rows.get('PS-CORRELATION-ID')!.status).toBe('verified');
    expect(rows.get('WF-NFR-17')!.status).toBe('failed');
    expect(rows.get('WF-NFR-16')).toMatchObject({
      status: 'partly-verified',
      reason: '3 of 4 checks skipped or not run',
    });
    expect(rows.get('WF-NFR-03')).toMatchObject({ status: 'not-verified', reason: 'its checks were not run' });
    expect(rows.get('WF-NFR-18')).toMatchObject({
      status: 'not-covered',
      reason: 'front-end behaviour of the portal, not testable through the API',
    });
  });
});

describe('docs/checks.md', () => {
  it('embeds the catalogue exactly as renderCatalogueMarkdown() makes it', () => {
    expect(between('<!-- BEGIN catalogue', '<!-- END catalogue -->')).toBe(renderCatalogueMarkdown());
  });

  it('embeds the requirement coverage exactly as renderCoverageMarkdown() makes it', () => {
    expect(between('<!-- BEGIN coverage', '<!-- END coverage -->')).toBe(renderCoverageMarkdown());
  });

  it('embeds the fault table exactly as renderFaultExpectationsMarkdown() makes it', () => {
    expect(between('<!-- BEGIN faults', '<!-- END faults -->')).toBe(renderFaultExpectationsMarkdown());
  });
});
