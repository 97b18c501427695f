/**
 * Every reading docs/spec-errata.md accepts, on the default pack's own resources (hermetic: the
 * upstream contracts/errata.test.ts pins the same rows on the spec's examples). For each erratum:
 * the pack's reading validates without a warning, the other reading validates with exactly that
 * warning, and what no reading allows is still refused.
 */
import type { Bundle } from '../core/fhir';
import { buildDefaultPack } from '../fixtures/default-pack';
import { readProducerBundle } from './readings';
import { URLS } from './schemas/common';
import { failures, mutated, warned } from './test-helpers';
import { type SchemaKind, validatePayload } from './validate';

type Json = Record<string, any>;
const pack = buildDefaultPack(new Date('2026-01-15T00:00:00Z'));
/** A one-entry searchset of the first resource of `type` in the pack that passes `pick`. */
function first(type: 'Appointment' | 'DocumentReference' | 'Task', pick: (r: Json) => boolean = () => true): Json {
  for (const p of pack.patients)
    for (const e of (p.expected[type] as Bundle | undefined)?.entry ?? [])
      if (pick(e.resource as Json))
        return {
          resourceType: 'Bundle',
          type: 'searchset',
          total: 1,
          entry: [{ resource: structuredClone(e.resource) }],
        };
  throw new Error(`no ${type} in the default pack`);
}
const A = '/entry/0/resource';
const appointments = first(
  'Appointment',
  (r) => Array.isArray(r.basedOn) && r.appointmentType?.coding?.[0]?.code !== 'IMP',
);
const inpatient = first('Appointment', (r) => r.appointmentType?.coding?.[0]?.code === 'IMP');
const documents = first('DocumentReference');
const tasks = first('Task', (r) => Array.isArray(r.identifier));
const edit = (b: Json, f: (r: Json) => void): Json => {
  const c = structuredClone(b);
  f(c.entry[0].resource);
  return c;
};
const medium = (r: Json) => r.extension.findIndex((e: Json) => e.url === URLS.consultationMedium);

it('the default pack takes the harness reading everywhere: valid, no warning', () => {
  for (const [kind, b] of [
    ['appointments', appointments],
    ['appointments', inpatient],
    ['documents', documents],
    ['tasks', tasks],
  ] as Array<[SchemaKind, Json]>)
    expect(validatePayload(kind, b)).toEqual({ valid: true, diagnostics: [] });
});

const readings: Array<[erratum: string, kind: SchemaKind, other: Json, warnedAt: string]> = [
  ['E-04', 'appointments', edit(appointments, (r) => delete r.specialty), `${A}/specialty`],
  ['E-05', 'appointments', edit(inpatient, (r) => r.extension.splice(medium(r), 1)), `${A}/extension`],
  [
    'E-06',
    'tasks',
    edit(tasks, (r) => {
      r.authored = r.authoredOn;
      delete r.authoredOn;
    }),
    `${A}/authored`,
  ],
  ['E-07', 'tasks', edit(tasks, (r) => (r.reasonCode.coding = r.reasonCode.coding[0])), `${A}/reasonCode/coding`],
  ['E-08', 'tasks', edit(tasks, (r) => (r.identifier = r.identifier[0])), `${A}/identifier`],
  [
    'E-09',
    'documents',
    edit(documents, (r) => {
      r.context.related[0].references = r.context.related[0].reference;
      delete r.context.related[0].reference;
    }),
    `${A}/context/related/0/references`,
  ],
  ['E-10', 'documents', edit(documents, (r) => (r.type = 'Clinic letter')), `${A}/type`],
  [
    'E-17',
    'appointments',
    edit(appointments, (r) => (r.basedOn[0].identifier = r.basedOn[0].identifier[0])),
    `${A}/basedOn/0/identifier`,
  ],
  ['E-23', 'appointments', edit(appointments, (r) => r.extension.push({ url: 'https://example.org/x' })), ''],
  ['E-26', 'appointments', edit(appointments, (r) => r.participant.push({ status: 'accepted' })), ''],
  [
    'E-13',
    'operation-outcome',
    { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'TOO_MANY_REQUESTS' }] },
    '/issue/0/code',
  ],
];

it.each(readings)(
  '%s: the other reading is valid, with that warning and a hint what is safe',
  (erratum, kind, other, at) => {
    const v = validatePayload(kind, other);
    expect(v.diagnostics).toEqual([]);
    expect(v.valid).toBe(true);
    expect(v.warnings!.map((w) => w.erratum)).toEqual([erratum]);
    if (at) expect(warned(v)).toEqual([`${at} ${erratum}`]);
    expect(v.warnings![0]!.hint.length).toBeGreaterThan(15);
  },
);

it('what no reading allows is still refused', () => {
  expect(
    failures(
      validatePayload(
        'tasks',
        edit(tasks, (r) => delete r.authoredOn),
      ),
    ),
  ).toEqual([`${A}/authoredOn required`]);
  expect(
    failures(
      validatePayload(
        'tasks',
        edit(tasks, (r) => (r.identifier = 'abc')),
      ),
    ),
  ).toEqual([`${A}/identifier type`]);
  expect(
    failures(
      validatePayload(
        'documents',
        edit(documents, (r) => delete r.context.related[0].reference),
      ),
    ),
  ).toEqual([`${A}/context/related/0/reference required`]);
  expect(
    failures(
      validatePayload(
        'appointments',
        edit(appointments, (r) => r.extension.splice(medium(r), 1)),
      ),
    ),
  ).toEqual([`${A}/extension contains`]);
  expect(failures(validatePayload('tasks', mutated(tasks, `${A}/reasonCode/coding`, { code: 'x' })))).toEqual([
    `${A}/reasonCode/coding/0/display required`,
    `${A}/reasonCode/coding/0/system required`,
  ]);
});

it('reads without changing its input, and returns the input itself when there is nothing to rewrite', () => {
  const other = readings.find(([e]) => e === 'E-06')![2];
  const before = JSON.stringify(other);
  const read = readProducerBundle(other);
  expect(JSON.stringify(other)).toBe(before);
  expect((read.value as Json).entry[0].resource.authoredOn).toBe(other.entry[0].resource.authored);
  expect(readProducerBundle(tasks).value).toBe(tasks);
});
