/**
 * EVA comparator throughput: 10,000 generated patients x 3 resource types, each expected bundle
 * against a "supplier" copy that differs only in ways EVA must see through (entry, extension and
 * identifier order, `Z` instead of `+00:00`, its own fullUrl and meta), with a few real differences
 * injected. Generation and copying are not timed; comparison, totals and report rendering are.
 */
import type { Bundle, ProducerResourceType } from '../core/fhir';
import { PRODUCER_RESOURCE_TYPES } from '../core/fhir';
import { generatePack } from '../fixtures/generate';
import {
  compareBundles,
  comparePatientResponse,
  compileCompareOptions,
  summarise,
  type PatientVerdict,
} from '../suites/eva/compare';
import { consoleSummary, renderEvaReports } from '../suites/eva/report';

const PATIENTS = 10_000;
const INJECT_EVERY = 997;

type Json = Record<string, unknown>;

/** Rewrites a bundle the way a conforming supplier might: same content, different surface. */
function supplierStyle(b: Bundle): Bundle {
  const out = structuredClone(b) as unknown as Json;
  const entries = (out.entry as Json[] | undefined) ?? [];
  entries.reverse();
  for (const e of entries) {
    e.fullUrl = `https://supplier.example/fhir/${String((e.resource as Json).id)}`;
    const r = e.resource as Json;
    r.meta = { versionId: '3', lastUpdated: '2025-06-01T00:00:00Z' };
    for (const k of ['extension', 'identifier', 'participant']) (r[k] as unknown[] | undefined)?.reverse();
  }
  const zulu = (v: unknown): unknown => {
    if (typeof v === 'string') return /^\d{4}-\d{2}-\d{2}T[\d:.]+\+00:00$/.test(v) ? v.replace('+00:00', 'Z') : v;
    if (Array.isArray(v)) return v.map(zulu);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, zulu(x)]));
    return v;
  };
  return zulu(out) as Bundle;
}

/** One real difference of a kind chosen by `n`; returns the HTTP status the supplier "sent". */
function inject(b: Bundle, n: number): number {
  const entries = b.entry ?? [];
  switch (n % 4) {
    case 0:
      if (entries[0]) (entries[0].resource as unknown as Json).status = 'entered-in-error';
      else b.total = 9;
      return 200;
    case 1:
      if (entries.length) entries.pop();
      else b.total = 3;
      return 200;
    case 2:
      b.total = (b.total ?? 0) + 1;
      return 200;
    default:
      return 500;
  }
}

export default async function evaBench(): Promise<void> {
  const on = new Date('2025-06-01T00:00:00Z');
  let t = performance.now();
  const pack = generatePack({ count: PATIENTS, seed: 7, on });
  const work: Array<{
    nhsNumber: string;
    index: number;
    type: ProducerResourceType;
    expected: Bundle | undefined;
    actual: Bundle;
    status: number;
  }> = [];
  let injected = 0;
  pack.patients.forEach((p, index) => {
    for (const type of PRODUCER_RESOURCE_TYPES) {
      const expected = p.expected[type] as Bundle | undefined;
      const actual = supplierStyle(expected ?? { resourceType: 'Bundle', type: 'searchset', total: 0 });
      let status = 200;
      if (work.length % INJECT_EVERY === INJECT_EVERY - 1) {
        status = inject(actual, injected);
        injected++;
      }
      work.push({ nhsNumber: p.nhsNumber, index, type, expected, actual, status });
    }
  });
  const entries = work.reduce((n, w) => n + (w.expected?.entry?.length ?? 0), 0);
  process.stdout.write(
    `prepared ${work.length} comparisons (${entries} expected resources) in ${((performance.now() - t) / 1000).toFixed(1)} s; ${injected} with an injected difference\n`,
  );

  const opts = compileCompareOptions();
  t = performance.now();
  let differences = 0;
  for (const w of work) if (w.status === 200) differences += compareBundles(w.expected, w.actual, opts).length;
  const bare = performance.now() - t;
  report('compareBundles', work.length, bare, `${differences} differences`);

  t = performance.now();
  const verdicts: PatientVerdict[] = work.map((w) =>
    comparePatientResponse(
      {
        nhsNumber: w.nhsNumber,
        resourceType: w.type,
        expected: w.expected,
        status: w.status,
        body: w.actual,
        patientIndex: w.index,
      },
      opts,
    ),
  );
  const totals = summarise(verdicts);
  report(
    'comparePatientResponse + summarise',
    work.length,
    performance.now() - t,
    `${totals.match} match, ${totals.mismatch} mismatch, ${totals.error} error (${injected} injected)`,
  );

  t = performance.now();
  const files = renderEvaReports({ verdicts, totals, ignore: opts.ignore });
  consoleSummary({ verdicts, totals });
  const size = Object.values(files).reduce((n, f) => n + f.length, 0);
  process.stdout.write(
    `reports rendered in ${(performance.now() - t).toFixed(0)} ms (${(size / 1e6).toFixed(1)} MB across eva.json, junit.xml, eva.html)\n`,
  );
}

function report(what: string, count: number, ms: number, extra: string): void {
  const rate = count / (ms / 1000);
  process.stdout.write(
    `${what}: ${count} comparisons in ${ms.toFixed(0)} ms = ${Math.round(rate).toLocaleString('en-GB')}/s (${((ms * 1000) / count).toFixed(1)} µs each); ${extra}\n`,
  );
}
