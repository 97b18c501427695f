import type { Appointment, Bundle, Extension, Task } from '../../core/fhir';
import { PCA_URLS } from '../../core/fhir';
import { ExitCode, exitCodeFor } from '../../cli/common';
import {
  compareBundles,
  comparePatientResponse,
  compileCompareOptions,
  deepEqual,
  DEFAULT_IGNORE,
  EvaTally,
  IgnoreRuleError,
  instantKey,
  summarise,
  type Difference,
} from './compare';
import {
  sampleAppointment,
  sampleBundle,
  sampleDocumentReference,
  samplePatientBundles,
  sampleTask,
} from './sample-bundles';

const NHS = '9990000018';
const clone = <T>(v: T): T => structuredClone(v);

function twoAppointments(): Bundle<Appointment> {
  return sampleBundle([
    sampleAppointment(NHS, { id: 'a-1', sourceId: '4817508' }),
    sampleAppointment(NHS, { id: 'a-2', sourceId: '4817509', status: 'cancelled', start: '2021-07-01T09:00:00+00:00' }),
  ]);
}

function appt(b: Bundle, i: number): Appointment {
  return b.entry![i].resource as Appointment;
}

const kinds = (ds: Difference[]): string[] => ds.map((d) => d.kind);

describe('compareBundles: matching rules', () => {
  it('finds nothing when a bundle is compared with a copy of itself', () => {
    const b = twoAppointments();
    expect(compareBundles(b, clone(b))).toEqual([]);
  });

  it('ignores the order of entries, extensions, identifiers, participants and codings', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    actual.entry!.reverse();
    for (const e of actual.entry!) {
      const r = e.resource as Appointment;
      r.extension!.reverse();
      r.identifier!.reverse();
      r.participant.reverse();
      (r.basedOn![0].identifier as unknown[]).reverse();
    }
    const task = sampleTask(NHS, 't-1');
    task.reasonCode!.coding!.push({ system: 'https://example.org/other', code: 'X' });
    const taskActual = clone(task);
    taskActual.reasonCode!.coding!.reverse();
    expect(compareBundles(expected, actual)).toEqual([]);
    expect(compareBundles(sampleBundle([task]), sampleBundle([taskActual]))).toEqual([]);
  });

  it('compares instants as instants: offsets, Z and fractional seconds', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    appt(actual, 0).start = '2021-06-13T12:30:00Z';
    appt(actual, 0).end = '2021-06-13T12:45:00.000Z';
    appt(actual, 1).start = '2021-07-01T10:00:00.000+01:00';
    expect(compareBundles(expected, actual)).toEqual([]);

    appt(actual, 0).start = '2021-06-13T12:30:01Z';
    const diffs = compareBundles(expected, actual);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({
      kind: 'changed',
      path: '/entry[id=a-1]/resource/start',
      expected: '2021-06-13T12:30:00+00:00',
      actual: '2021-06-13T12:30:01Z',
    });
  });

  it('treats null and empty arrays as absent, as FHIR JSON has neither', () => {
    const expected = twoAppointments();
    const actual = clone(expected) as unknown as { entry: Array<{ resource: Record<string, unknown> }> };
    actual.entry[0].resource.comment = null;
    actual.entry[0].resource.slot = [];
    expect(compareBundles(expected, actual)).toEqual([]);
  });

  it('matches an entry by business identifier when the ids differ, and reports only the id', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    appt(actual, 1).id = 'supplier-own-id';
    actual.entry!.reverse();
    const diffs = compareBundles(expected, actual);
    expect(diffs).toEqual([
      {
        kind: 'changed',
        path: '/entry[id=a-2]/resource/id',
        expectedPointer: '/entry/1/resource/id',
        actualPointer: '/entry/0/resource/id',
        expected: 'a-2',
        actual: 'supplier-own-id',
        message: 'expected "a-2", got "supplier-own-id"',
      },
    ]);
    expect(compareBundles(expected, actual, { alsoIgnore: ['/entry/*/resource/id'] })).toEqual([]);
  });

  it('reports a missing resource with the expected resource and its pointer', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    actual.entry!.splice(0, 1);
    actual.total = 2;
    const diffs = compareBundles(expected, actual);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({
      kind: 'missing-resource',
      path: '/entry[id=a-1]',
      expectedPointer: '/entry/0',
      expected: appt(expected, 0),
    });
    expect(diffs[0].actualPointer).toBeUndefined();
    expect(diffs[0].message).toBe('expected Appointment/a-1 (status booked) is missing from the response');
  });

  it('reports an unexpected resource with its pointer into the actual document', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    const extra = sampleAppointment(NHS, { id: 'other', sourceId: '999' });
    actual.entry!.unshift({ resource: extra });
    actual.total = 2;
    const diffs = compareBundles(expected, actual);
    expect(diffs).toEqual([
      expect.objectContaining({
        kind: 'unexpected-resource',
        path: '/entry[id=other]',
        actualPointer: '/entry/0',
        actual: extra,
      }),
    ]);
  });

  it('reports a changed field with the readable path, both pointers, expected and actual', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    actual.entry!.reverse();
    const a1 = actual.entry![1].resource as Appointment;
    a1.status = 'cancelled';
    const medium = a1.extension!.findIndex((x) => x.url === PCA_URLS.consultationMedium);
    a1.extension!.reverse();
    const mediumNow = a1.extension!.length - 1 - medium;
    (a1.extension![mediumNow] as Extension).valueCode = 'VIDEO_CONSULTATION';
    const diffs = compareBundles(expected, actual);
    expect(diffs).toEqual([
      {
        kind: 'changed',
        path: `/entry[id=a-1]/resource/extension[url=${PCA_URLS.consultationMedium}]/valueCode`,
        expectedPointer: `/entry/0/resource/extension/${medium}/valueCode`,
        actualPointer: `/entry/1/resource/extension/${mediumNow}/valueCode`,
        expected: 'FACE_TO_FACE',
        actual: 'VIDEO_CONSULTATION',
        message: 'expected "FACE_TO_FACE", got "VIDEO_CONSULTATION"',
      },
      {
        kind: 'changed',
        path: '/entry[id=a-1]/resource/status',
        expectedPointer: '/entry/0/resource/status',
        actualPointer: '/entry/1/resource/status',
        expected: 'booked',
        actual: 'cancelled',
        message: 'expected "booked", got "cancelled"',
      },
    ]);
  });

  it('names a participant by its actor, so a one-field change is one difference', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    appt(actual, 0).participant.reverse();
    appt(actual, 0).participant[0].actor!.display = 'Chapel Allerton Hospital, 3rd Floor';
    const diffs = compareBundles(expected, actual);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({
      kind: 'changed',
      path: '/entry[id=a-1]/resource/participant[actor=Location|Chapel Allerton Hospital, Dentistry Dept, 2nd Floor]/actor/display',
      expectedPointer: '/entry/0/resource/participant/2/actor/display',
      actualPointer: '/entry/0/resource/participant/0/actor/display',
    });
  });

  it('reports an element only one side has, with the pointer of the side that has it', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    appt(actual, 0).extension!.push({ url: 'https://example.org/extra', valueString: 'x' });
    appt(actual, 1).extension = appt(actual, 1).extension!.filter((x) => x.url !== PCA_URLS.priority);
    const diffs = compareBundles(expected, actual);
    expect(diffs).toEqual([
      expect.objectContaining({
        kind: 'changed',
        path: '/entry[id=a-1]/resource/extension[url=https://example.org/extra]',
        actualPointer: '/entry/0/resource/extension/3',
        actual: { url: 'https://example.org/extra', valueString: 'x' },
      }),
      expect.objectContaining({
        kind: 'changed',
        path: `/entry[id=a-2]/resource/extension[url=${PCA_URLS.priority}]`,
        expectedPointer: '/entry/1/resource/extension/0',
      }),
    ]);
    expect(diffs[0]).not.toHaveProperty('expected');
    expect(diffs[1]).not.toHaveProperty('actual');
    expect(diffs[1]).not.toHaveProperty('actualPointer');
  });

  it('shows a dropped cancelled appointment as exactly one missing resource (and the total)', () => {
    const expected = twoAppointments();
    const actual = sampleBundle([appt(expected, 0)].map(clone));
    const diffs = compareBundles(expected, actual);
    expect(diffs.filter((d) => d.kind === 'missing-resource')).toEqual([
      expect.objectContaining({ path: '/entry[id=a-2]', expected: expect.objectContaining({ status: 'cancelled' }) }),
    ]);
    expect(kinds(diffs).sort()).toEqual(['missing-resource', 'total']);
  });

  it('reports a total mismatch', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    actual.total = 5;
    expect(compareBundles(expected, actual)).toEqual([
      {
        kind: 'total',
        path: '/total',
        expectedPointer: '/total',
        actualPointer: '/total',
        expected: 2,
        actual: 5,
        message: 'Bundle.total is 5, expected 2',
      },
    ]);
    delete actual.total;
    expect(compareBundles(expected, actual)).toEqual([
      expect.objectContaining({ kind: 'total', expected: 2, message: 'Bundle.total is missing; expected 2' }),
    ]);
  });

  it('expects an empty searchset when the pack has no bundle for the type', () => {
    expect(compareBundles(undefined, { resourceType: 'Bundle', type: 'searchset', total: 0 })).toEqual([]);
    expect(compareBundles(undefined, { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] })).toEqual([]);
    const diffs = compareBundles(undefined, sampleBundle([sampleTask(NHS, 't')]));
    expect(kinds(diffs).sort()).toEqual(['total', 'unexpected-resource']);
  });

  it('says what a response is when it is not a bundle', () => {
    const oo = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'exception', diagnostics: 'upstream down' }],
    };
    expect(compareBundles(twoAppointments(), oo)).toEqual([
      {
        kind: 'not-a-bundle',
        path: '/',
        actual: oo,
        message: 'the response is not a FHIR Bundle: it is an OperationOutcome (exception: upstream down)',
      },
    ]);
    expect(compareBundles(twoAppointments(), [])[0].message).toMatch(/a JSON array/);
    expect(compareBundles(twoAppointments(), { entry: [] })[0].message).toMatch(/without a resourceType/);
  });

  it('pairs large reordered arrays through hash buckets', () => {
    const expected = twoAppointments();
    const many = Array.from({ length: 60 }, (_v, i) => ({
      url: `https://example.org/e${i % 7}`,
      valueString: `v${i}`,
    }));
    appt(expected, 0).extension = many;
    const actual = clone(expected);
    appt(actual, 0).extension!.reverse();
    expect(compareBundles(expected, actual)).toEqual([]);
    appt(actual, 0).extension![10].valueString = 'changed';
    const diffs = compareBundles(expected, actual);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({
      kind: 'changed',
      path: '/entry[id=a-1]/resource/extension[url=https://example.org/e0]/valueString',
      actual: 'changed',
    });
  });
});

describe('compareBundles: ignore rules', () => {
  it('ignores meta, fullUrl, search, the bundle id, timestamp and link by default', () => {
    expect(DEFAULT_IGNORE).toEqual(['meta', 'fullUrl', '/entry/*/search', '/id', '/timestamp', '/link']);
    const expected = twoAppointments();
    const actual = clone(expected) as Bundle;
    actual.id = 'generated-by-supplier';
    actual.timestamp = '2024-01-01T00:00:00Z';
    actual.link = [{ relation: 'self', url: 'https://supplier.example/Appointment?patient:identifier=x' }];
    actual.meta = { lastUpdated: '2024-01-01T00:00:00Z' };
    for (const e of actual.entry!) {
      e.fullUrl = `urn:uuid:${e.resource.id ?? ''}`;
      e.search = { mode: 'include' };
      e.resource.meta = { versionId: '7' };
    }
    expect(compareBundles(expected, actual)).toEqual([]);
    const strict = kinds(compareBundles(expected, actual, { ignore: [] }));
    expect(strict.length).toBeGreaterThanOrEqual(9);
    expect(new Set(strict)).toEqual(new Set(['changed']));
  });

  it('applies custom rules: anchored, with wildcards, by selector, and floating names', () => {
    const expected = twoAppointments();
    const actual = clone(expected);
    appt(actual, 0).description = 'Skin clinic';
    appt(actual, 1).extension!.find((x) => x.url === PCA_URLS.portalLink)!.valueUrl = 'https://elsewhere.example/a';
    expect(compareBundles(expected, actual)).toHaveLength(2);
    const portal = `/entry/*/resource/extension[url=${PCA_URLS.portalLink}]`;
    expect(compareBundles(expected, actual, { alsoIgnore: ['/entry/*/resource/description', portal] })).toEqual([]);
    expect(
      compareBundles(expected, actual, {
        alsoIgnore: ['description', `extension[url=${PCA_URLS.portalLink}]/valueUrl`],
      }),
    ).toEqual([]);
    expect(
      compareBundles(expected, actual, { alsoIgnore: ['/entry[id=a-1]/resource/description', '/**/valueUrl'] }),
    ).toEqual([]);
    // A selector naming a different entry leaves the difference in place.
    expect(compareBundles(expected, actual, { alsoIgnore: ['/entry[id=a-2]/resource/description', portal] })).toEqual([
      expect.objectContaining({ path: '/entry[id=a-1]/resource/description' }),
    ]);
  });

  it('can ignore whole entries and the total', () => {
    const expected = twoAppointments();
    const actual = sampleBundle([appt(expected, 0)].map(clone));
    expect(compareBundles(expected, actual, { alsoIgnore: ['/entry[id=a-2]', '/total'] })).toEqual([]);
  });

  it('rejects rules it cannot read, saying which', () => {
    expect(() => compileCompareOptions({ alsoIgnore: ['/entry[id=a'] })).toThrow(IgnoreRuleError);
    expect(() => compileCompareOptions({ alsoIgnore: ['/entry[id=a'] })).toThrow(
      /"\/entry\[id=a" has a "\[" without a matching "\]"/,
    );
    expect(() => compileCompareOptions({ alsoIgnore: ['/'] })).toThrow(/whole document/);
    expect(() => compileCompareOptions({ alsoIgnore: ['/entry//resource'] })).toThrow(/empty segment/);
    expect(() => compileCompareOptions({ alsoIgnore: ['/ent*ry'] })).toThrow(/not a member name/);
  });

  it('makes an unreadable rule a usage error (exit 2) for the CLI', () => {
    const err: string[] = [];
    const io = {
      out: () => undefined,
      err: (t: string) => {
        err.push(t);
      },
      isTty: false,
      env: {},
      cwd: '.',
    };
    let thrown: unknown;
    try {
      compileCompareOptions({ alsoIgnore: ['/entry]'] });
    } catch (e) {
      thrown = e;
    }
    expect(exitCodeFor(thrown, io)).toBe(ExitCode.usage);
    expect(err).toEqual(['error: ignore rule "/entry]" has a "]" without a matching "["']);
  });

  it('accepts compiled options, so a run compiles its rules once', () => {
    const opts = compileCompareOptions({ alsoIgnore: ['description'] });
    const expected = twoAppointments();
    const actual = clone(expected);
    appt(actual, 0).description = 'x';
    expect(compareBundles(expected, actual, opts)).toEqual([]);
    expect(opts.ignore).toEqual([...DEFAULT_IGNORE, 'description']);
  });
});

describe('comparePatientResponse', () => {
  const bundles = samplePatientBundles(NHS, 3);

  it('gives match for an equal response, with the NHS number masked', () => {
    const v = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Appointment',
      expected: bundles.Appointment,
      status: 200,
      body: clone(bundles.Appointment),
      patientIndex: 4,
    });
    expect(v).toEqual({
      nhsNumberMasked: '999******8',
      resourceType: 'Appointment',
      verdict: 'match',
      status: 200,
      differences: [],
      patientIndex: 4,
    });
  });

  it('parses a JSON text body', () => {
    const v = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected: bundles.Task,
      status: 200,
      body: JSON.stringify(bundles.Task),
    });
    expect(v.verdict).toBe('match');
  });

  it('gives mismatch with masked values when the supplier returns another NHS number', () => {
    const actual = clone(bundles.DocumentReference);
    actual.entry![0].resource.subject!.identifier!.value = '9990000026';
    const v = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'DocumentReference',
      expected: bundles.DocumentReference,
      status: 200,
      body: actual,
    });
    expect(v.verdict).toBe('mismatch');
    expect(v.differences).toEqual([
      expect.objectContaining({
        path: '/entry[id=doc-3-1]/resource/subject/identifier/value',
        expected: '999******8',
        actual: '999******6',
      }),
    ]);
    expect(JSON.stringify(v)).not.toMatch(/9990000018|9990000026/);
  });

  it('gives error with the status for a 500 carrying an OperationOutcome', () => {
    const body = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'exception', diagnostics: 'lookup failed for 9990000018' }],
    };
    const v = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Appointment',
      expected: bundles.Appointment,
      status: 500,
      body,
    });
    expect(v.verdict).toBe('error');
    expect(v.status).toBe(500);
    expect(v.differences).toHaveLength(1);
    expect(v.differences[0]).toMatchObject({
      kind: 'not-a-bundle',
      message:
        'HTTP 500 (expected 200 with a Bundle): the body is an OperationOutcome (exception: lookup failed for 999******8)',
    });
    expect(JSON.stringify(v)).not.toContain('9990000018');
  });

  it('gives error for a 200 that is not a bundle, text that is not JSON, and no response', () => {
    const oo = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected: bundles.Task,
      status: 200,
      body: { resourceType: 'OperationOutcome', issue: [] },
    });
    expect(oo).toMatchObject({ verdict: 'error', status: 200, differences: [{ kind: 'not-a-bundle' }] });
    const html = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected: bundles.Task,
      status: 200,
      body: '<html>oops</html>',
    });
    expect(html.differences[0].message).toMatch(/text that is not JSON/);
    const empty = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected: bundles.Task,
      status: 200,
      body: '',
    });
    expect(empty.differences[0].message).toMatch(/it is empty/);
    const none = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected: bundles.Task,
      body: undefined,
      error: 'timed out after 9000 ms',
    });
    expect(none).toMatchObject({
      verdict: 'error',
      differences: [{ kind: 'not-a-bundle', message: 'no response: timed out after 9000 ms' }],
    });
    expect(none).not.toHaveProperty('status');
  });

  it('gives error for a bundle that came with the wrong status', () => {
    const v = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected: bundles.Task,
      status: 404,
      body: bundles.Task,
    });
    expect(v).toMatchObject({ verdict: 'error', status: 404 });
    expect(v.differences[0].message).toMatch(/^HTTP 404 \(expected 200 with a Bundle\): the body is a Bundle resource/);
  });
});

describe('summarise and EvaTally', () => {
  it('counts verdicts, differences by kind and per resource type, and distinct patients', () => {
    const b = samplePatientBundles(NHS, 0);
    const changed = clone(b.Appointment);
    changed.entry!.pop();
    changed.total = 2;
    const verdicts = [
      comparePatientResponse({
        nhsNumber: NHS,
        resourceType: 'Appointment',
        expected: b.Appointment,
        status: 200,
        body: changed,
        patientIndex: 0,
      }),
      comparePatientResponse({
        nhsNumber: NHS,
        resourceType: 'Task',
        expected: b.Task,
        status: 200,
        body: b.Task,
        patientIndex: 0,
      }),
      comparePatientResponse({
        nhsNumber: NHS,
        resourceType: 'Task',
        expected: b.Task,
        status: 503,
        body: '',
        patientIndex: 1,
      }),
    ];
    const t = summarise(verdicts);
    expect(t).toMatchObject({
      comparisons: 3,
      patients: 2,
      match: 1,
      mismatch: 1,
      error: 1,
      differences: 3,
      passed: false,
      byKind: { 'missing-resource': 1, total: 1, 'not-a-bundle': 1, changed: 0, 'unexpected-resource': 0 },
      byResourceType: { Appointment: { match: 0, mismatch: 1, error: 0 }, Task: { match: 1, mismatch: 0, error: 1 } },
    });
    const tally = new EvaTally();
    tally.add(verdicts[1]);
    expect(tally.totals()).toMatchObject({ comparisons: 1, passed: true });
    expect(summarise([]).passed).toBe(true);
  });
});

describe('value rules', () => {
  it('instantKey normalises offsets and trailing zeros only', () => {
    expect(instantKey('2021-06-13T12:30:00+00:00')).toBe(instantKey('2021-06-13T12:30:00Z'));
    expect(instantKey('2021-06-13T12:30:00.500Z')).toBe(instantKey('2021-06-13T13:30:00.5+01:00'));
    expect(instantKey('2021-06-13T12:30:00.5Z')).not.toBe(instantKey('2021-06-13T12:30:00.51Z'));
    expect(instantKey('2021-06-13')).toBeUndefined();
    expect(instantKey('2021-06-13T12:30:00')).toBeUndefined();
  });

  it('deepEqual treats arrays as multisets', () => {
    expect(deepEqual([1, 1, 2], [2, 1, 1])).toBe(true);
    expect(deepEqual([1, 1, 2], [2, 2, 1])).toBe(false);
    expect(deepEqual({ a: [] }, {})).toBe(true);
    expect(deepEqual({ a: '1' }, { a: 1 })).toBe(false);
  });

  it('reports a swapped value in a set of strings as one change', () => {
    const e = sampleBundle([sampleDocumentReference(NHS, 'd', 's')]);
    (e.entry![0].resource as unknown as { tags: string[] }).tags = ['x', 'y'];
    const a = clone(e);
    (a.entry![0].resource as unknown as { tags: string[] }).tags = ['y', 'z'];
    expect(compareBundles(e, a)).toEqual([
      expect.objectContaining({ path: '/entry[id=d]/resource/tags[=x]', expected: 'x', actual: 'z' }),
    ]);
  });
});

describe('comparePatientResponse: readings of a contradicting spec (docs/spec-errata.md)', () => {
  // The official producer schema's own shape for a Task: E-06 authored, E-07 coding one object, E-08 identifier one object.
  function schemaShaped(task: Task): Record<string, unknown> {
    const { authoredOn, identifier, reasonCode, ...rest } = clone(task) as unknown as Record<string, any>;
    return {
      ...rest,
      authored: authoredOn,
      ...(identifier ? { identifier: identifier[0] } : {}),
      reasonCode: { ...reasonCode, coding: reasonCode.coding[0] },
    };
  }

  it('matches a body in the schema shape against the pack, as warn naming each erratum it took', () => {
    const task = sampleTask(NHS, 't-1');
    const expected = sampleBundle([task]);
    const actual = { ...clone(expected), entry: [{ ...expected.entry![0], resource: schemaShaped(task) }] };
    const v = comparePatientResponse({ nhsNumber: NHS, resourceType: 'Task', expected, status: 200, body: actual });
    expect(v.verdict).toBe('warn');
    expect(v.differences).toEqual([]);
    expect([...new Set(v.warnings!.map((w) => w.erratum))].sort()).toEqual(
      task.identifier ? ['E-06', 'E-07', 'E-08'] : ['E-06', 'E-07'],
    );
    const t = summarise([v]);
    expect(t).toMatchObject({ match: 0, warn: 1, mismatch: 0, passed: true });
    expect(t.byResourceType.Task).toEqual({ match: 0, warn: 1, mismatch: 0, error: 0 });
  });

  it('still finds real differences in a body in the schema shape, and keeps its warnings', () => {
    const task = sampleTask(NHS, 't-1');
    const expected = sampleBundle([task]);
    const shaped = schemaShaped(task);
    shaped.authored = '2020-01-01T00:00:00+00:00';
    const v = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected,
      status: 200,
      body: { ...clone(expected), entry: [{ ...expected.entry![0], resource: shaped }] },
    });
    expect(v.verdict).toBe('mismatch');
    expect(v.differences.map((d) => d.path)).toEqual(['/entry[id=t-1]/resource/authoredOn']);
    expect(v.warnings!.map((w) => w.erratum)).toContain('E-06');
  });

  it('gives no warning where the pack took the same reading as the supplier', () => {
    const task = sampleTask(NHS, 't-1');
    const shapedBundle = { ...sampleBundle([task]), entry: [{ resource: schemaShaped(task) }] } as unknown as Bundle;
    const v = comparePatientResponse({
      nhsNumber: NHS,
      resourceType: 'Task',
      expected: shapedBundle,
      status: 200,
      body: clone(shapedBundle),
    });
    expect(v).toMatchObject({ verdict: 'match', differences: [] });
    expect(v.warnings).toBeUndefined();
  });
});
