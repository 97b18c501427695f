/**
 * One test per decision in docs/spec-errata.md: a payload shaped as the spec's schema, prose or
 * example has it is accepted or rejected exactly as the erratum decides.
 */
import express from 'express';
import request from 'supertest';
import { correlationId } from '../core/http';
import { silentLogger } from '../core/logger';
import { parsePatientIdentifier } from '../core/nhs-number';
import { URLS } from './schemas/common';
import { clone, failures, mutated, validBases } from './test-helpers';
import { bundleTotalMatches, validatePayload } from './validate';

// Test payloads are free-form JSON that these tests poke into.
type Json = Record<string, any>;

const bases = validBases();
const appointments = bases.appointments as Json;
const documents = bases.documents as Json;
const tasks = bases.tasks as Json;
const aggregator = bases['aggregator-bundle'] as Json;
const A = '/entry/0/resource';

/** A copy of `bundle` whose first resource has been changed by `edit`. */
function editFirst(bundle: Json, edit: (r: Json) => void): Json {
  const b = clone(bundle);
  edit(b.entry[0].resource);
  return b;
}

describe("E-01 the body is a Bundle of the endpoint's resource type", () => {
  it("rejects a bare Appointment (the shape the spec's responses reference)", () => {
    expect(failures(validatePayload('appointments', appointments.entry[0].resource))).toEqual(
      ['/type required', '/resourceType const', '/total required'].sort(),
    );
  });
  it('rejects an appointments bundle sent as DocumentReferences, at the resource type only', () => {
    expect(failures(validatePayload('documents', appointments))).toEqual(['/entry/0/resource/resourceType const']);
  });
  it('rejects a Task inside an appointments bundle with one diagnostic', () => {
    const mixed = clone(appointments);
    mixed.entry.push(tasks.entry[0]);
    mixed.total = 2;
    expect(failures(validatePayload('appointments', mixed))).toEqual(['/entry/1/resource/resourceType const']);
  });
});

describe('E-02 total is required', () => {
  it('rejects a bundle without total, with a hint citing WF-NFR-07', () => {
    const v = validatePayload('documents', mutated(documents, '/total', undefined));
    expect(failures(v)).toEqual(['/total required']);
    expect(v.diagnostics[0].hint).toMatch(/WF-NFR-07.*E-02/);
  });
  it('rejects a negative total', () => {
    expect(failures(validatePayload('documents', mutated(documents, '/total', -1)))).toEqual(['/total minimum']);
  });
});

describe('E-03 entry may be absent', () => {
  it("accepts the spec's emptyBundle shape and an empty entry array", () => {
    expect(
      validatePayload('tasks', {
        resourceType: 'Bundle',
        id: 'c93e2449-a2ef-4476-ad15-13491036be22',
        type: 'searchset',
        total: 0,
      }).valid,
    ).toBe(true);
    expect(validatePayload('tasks', { resourceType: 'Bundle', type: 'searchset', total: 0, entry: [] }).valid).toBe(
      true,
    );
  });
});

describe('E-04 Appointment.specialty is required', () => {
  it('rejects an appointment shaped like the examples (no specialty), citing the erratum', () => {
    const v = validatePayload(
      'appointments',
      editFirst(appointments, (r) => delete r.specialty),
    );
    expect(failures(v)).toEqual([`${A}/specialty required`]);
    expect(v.diagnostics[0].hint).toMatch(/E-04/);
  });
  it('wants exactly one specialty with a three-digit code', () => {
    const two = editFirst(appointments, (r) => r.specialty.push(clone(r.specialty[0])));
    expect(failures(validatePayload('appointments', two))).toEqual([`${A}/specialty maxItems`]);
    const code = editFirst(appointments, (r) => {
      r.specialty[0].coding[0].code = 'DERM';
    });
    expect(failures(validatePayload('appointments', code))).toEqual([`${A}/specialty/0/coding/0/code pattern`]);
  });
  it('accepts the older STU3 Specialty-1 system the spec also lists', () => {
    const stu3 = editFirst(appointments, (r) => {
      r.specialty[0].coding[0].system = URLS.specialtyStu3;
    });
    expect(validatePayload('appointments', stu3).valid).toBe(true);
  });
});

describe('E-05 Consultation-Medium on every appointment', () => {
  const inpatient = (medium?: string): Json =>
    editFirst(appointments, (r) => {
      r.appointmentType = { coding: [{ system: URLS.actCode, code: 'IMP', display: 'inpatient encounter' }] };
      r.extension = r.extension.filter((e: Json) => e.url !== URLS.consultationMedium);
      if (medium) r.extension.push({ url: URLS.consultationMedium, valueCode: medium });
    });
  it("rejects an inpatient appointment without it, like the spec's inpatient example", () => {
    const v = validatePayload('appointments', inpatient());
    expect(failures(v)).toEqual([`${A}/extension contains`]);
    expect(v.diagnostics[0].message).toBe('must include the Consultation-Medium extension');
    expect(v.diagnostics[0].hint).toMatch(/E-05/);
  });
  it('accepts it with a listed medium', () => {
    expect(validatePayload('appointments', inpatient('TELEPHONE')).valid).toBe(true);
  });
  it('rejects the deprecated VIRTUAL with a hint saying what to send instead', () => {
    const v = validatePayload('appointments', inpatient('VIRTUAL'));
    expect(failures(v)).toContain(`${A}/extension/3/valueCode enum`);
    expect(v.diagnostics.find((d) => d.rule === 'enum')?.hint).toMatch(/VIRTUAL is deprecated.*VIDEO_CONSULTATION/);
  });
});

describe('E-06 Task.authoredOn, not authored', () => {
  it("rejects a Task shaped like the spec's schema (authored), citing the erratum", () => {
    const v = validatePayload(
      'tasks',
      editFirst(tasks, (r) => {
        r.authored = r.authoredOn;
        delete r.authoredOn;
      }),
    );
    expect(failures(v)).toEqual([`${A}/authoredOn required`]);
    expect(v.diagnostics[0].hint).toMatch(/"authoredOn".*not "authored".*E-06/);
  });
  it("accepts the example's authoredOn", () => {
    expect(validatePayload('tasks', tasks).valid).toBe(true);
  });
});

describe('E-07 Task.reasonCode is one CodeableConcept with a coding array', () => {
  it("rejects coding as one object (the spec's schema)", () => {
    const v = validatePayload(
      'tasks',
      editFirst(tasks, (r) => {
        r.reasonCode.coding = r.reasonCode.coding[0];
      }),
    );
    expect(failures(v)).toEqual([`${A}/reasonCode/coding type`]);
    expect(v.diagnostics[0].hint).toMatch(/E-07/);
  });
  it('rejects reasonCode as an array', () => {
    expect(
      failures(
        validatePayload(
          'tasks',
          editFirst(tasks, (r) => {
            r.reasonCode = [r.reasonCode];
          }),
        ),
      ),
    ).toEqual([`${A}/reasonCode type`]);
  });
  it('needs system, code and display on each coding, and the text', () => {
    const v = validatePayload(
      'tasks',
      editFirst(tasks, (r) => {
        delete r.reasonCode.coding[0].display;
        delete r.reasonCode.text;
      }),
    );
    expect(failures(v)).toEqual([`${A}/reasonCode/coding/0/display required`, `${A}/reasonCode/text required`]);
  });
});

describe('E-08 Task.identifier is an array', () => {
  const id = { system: 'https://my.portal.com/fhir/Questionnaire', value: '3a146c43-2b21-44e9-95bc-6f4849e504c8' };
  it("rejects the spec's single object", () => {
    expect(
      failures(
        validatePayload(
          'tasks',
          editFirst(tasks, (r) => {
            r.identifier = id;
          }),
        ),
      ),
    ).toEqual([`${A}/identifier type`]);
  });
  it('accepts the R4 array', () => {
    expect(
      validatePayload(
        'tasks',
        editFirst(tasks, (r) => {
          r.identifier = [id];
        }),
      ).valid,
    ).toBe(true);
  });
});

describe('E-09 context.related[].reference, not references', () => {
  it("rejects the spec's references, citing the erratum", () => {
    const v = validatePayload(
      'documents',
      editFirst(documents, (r) => {
        const rel = r.context.related[0];
        rel.references = rel.reference;
        delete rel.reference;
      }),
    );
    expect(failures(v)).toEqual([`${A}/context/related/0/reference required`]);
    expect(v.diagnostics[0].hint).toMatch(/E-09/);
  });
});

describe('E-10 DocumentReference.type is a CodeableConcept', () => {
  it("rejects the spec's string", () => {
    expect(
      failures(
        validatePayload(
          'documents',
          editFirst(documents, (r) => {
            r.type = 'Clinic letter';
          }),
        ),
      ),
    ).toEqual([`${A}/type type`]);
  });
  it('accepts a CodeableConcept', () => {
    expect(
      validatePayload(
        'documents',
        editFirst(documents, (r) => {
          r.type = { text: 'Clinic letter' };
        }),
      ).valid,
    ).toBe(true);
  });
});

describe('E-11 DocumentReference period in either place', () => {
  it("accepts the spec's top-level period and R4's context.period", () => {
    expect(
      validatePayload(
        'documents',
        editFirst(documents, (r) => {
          r.period = { start: '2021-06-13T12:30:00+00:00' };
        }),
      ).valid,
    ).toBe(true);
    expect(
      validatePayload(
        'documents',
        editFirst(documents, (r) => {
          r.context.period = { start: '2021-06-13T12:30:00Z' };
        }),
      ).valid,
    ).toBe(true);
  });
  it('checks the dates in both', () => {
    expect(
      failures(
        validatePayload(
          'documents',
          editFirst(documents, (r) => {
            r.period = { start: '2021-06-13' };
          }),
        ),
      ),
    ).toEqual([`${A}/period/start format`]);
    expect(
      failures(
        validatePayload(
          'documents',
          editFirst(documents, (r) => {
            r.context.period = { start: 'yesterday' };
          }),
        ),
      ),
    ).toEqual([`${A}/context/period/start format`]);
  });
});

describe('E-12 every NHS number passes Modulus 11', () => {
  it.each([
    ['documents', `${A}/subject/identifier/value`],
    ['tasks', `${A}/for/identifier/value`],
    ['appointments', `${A}/participant/0/actor/identifier/value`],
    ['records-request', '/nhsNumbers/0'],
    ['aggregator-bundle', '/entry/0/resource/subject/identifier/value'],
  ] as const)("%s rejects the spec's 9000000001 at %s", (kind, pointer) => {
    expect(failures(validatePayload(kind, mutated(bases[kind], pointer, '9000000001')))).toEqual([`${pointer} format`]);
  });
  it('says why the number fails without repeating it', () => {
    const v = validatePayload('documents', mutated(documents, `${A}/subject/identifier/value`, '9000000001'));
    expect(v.diagnostics[0].message).toBe(
      'is not a valid NHS number: the Modulus 11 check digit is wrong (expected 9, got 1)',
    );
    expect(JSON.stringify(v.diagnostics)).not.toContain('9000000001');
  });
  it('and the NHS number system must be the NHS number system', () => {
    const v = validatePayload(
      'documents',
      editFirst(documents, (r) => {
        r.subject.identifier.system = 'https://fhir.nhs.uk/Id/nhs-numbers';
      }),
    );
    expect(failures(v)).toEqual([`${A}/subject/identifier/system const`]);
  });
});

describe('E-13 OperationOutcome codes are R4 IssueType codes', () => {
  const oo = (code: string): Json => ({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code, diagnostics: 'Too Many Requests' }],
  });
  it("rejects the 4XX table's TOO_MANY_REQUESTS with a hint", () => {
    const v = validatePayload('operation-outcome', oo('TOO_MANY_REQUESTS'));
    expect(failures(v)).toEqual(['/issue/0/code enum']);
    expect(v.diagnostics[0].hint).toMatch(/throttled/);
  });
  it.each(['processing', 'exception', 'forbidden', 'throttled', 'not-found', 'security'])(
    'accepts %s (table or example)',
    (code) => {
      expect(validatePayload('operation-outcome', oo(code)).valid).toBe(true);
    },
  );
});

describe('E-14 upstream issues inside the aggregator Bundle', () => {
  it('reject a top-level code such as forbidden', () => {
    expect(
      failures(
        validatePayload('aggregator-bundle', mutated(aggregator, '/entry/2/resource/issue/0/code', 'forbidden')),
      ),
    ).toEqual(['/entry/2/resource/issue/0/code enum']);
  });
  it('must name their supplier', () => {
    expect(
      failures(
        validatePayload('aggregator-bundle', mutated(aggregator, '/entry/2/resource/issue/0/extension', undefined)),
      ),
    ).toEqual(['/entry/2/resource/issue/0/extension required']);
  });
  it('while a top-level error body may use forbidden', () => {
    expect(
      validatePayload('operation-outcome', {
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'forbidden', diagnostics: 'UNDER_16_DENIED' }],
      }).valid,
    ).toBe(true);
  });
});

describe('E-15 X-Correlation-ID may be any value', () => {
  it("the harness's correlation middleware echoes a non-UUID value unchanged", async () => {
    const app = express();
    app.use(correlationId(silentLogger()));
    app.get('/x', (_req, res) => {
      res.json({ id: res.locals.correlationId });
    });
    const res = await request(app).get('/x').set('X-Correlation-ID', 'trace.42-not-a-uuid');
    expect(res.headers['x-correlation-id']).toBe('trace.42-not-a-uuid');
    expect(res.body).toEqual({ id: 'trace.42-not-a-uuid' });
  });
});

describe('E-16 patient:identifier: the parameter pattern plus Modulus 11', () => {
  it.each([
    ['https://fhir.nhs.uk/Id/nhs-number|9000000009', true],
    ['https://fhir.nhs.uk/Id/nhs-number|9000000001', false], // [0-9]* of the example regex would let it through
    ['https://fhir.nhs.uk/Id/nhs-number|0123456789', false],
    ['https://fhir.nhs.uk/Id/nhs-number', false],
  ])('%s -> %s', (raw, ok) => {
    expect(parsePatientIdentifier(raw).ok).toBe(ok);
  });
});

describe('E-17 Appointment.basedOn[].identifier is an array', () => {
  it('rejects a single Identifier', () => {
    const v = validatePayload(
      'appointments',
      editFirst(appointments, (r) => {
        r.basedOn[0].identifier = r.basedOn[0].identifier[0];
      }),
    );
    expect(failures(v)).toEqual([`${A}/basedOn/0/identifier type`]);
  });
});

describe('E-18 Record Service bodies', () => {
  const req = bases['records-request'];
  it('the request carries nothing but clientId and nhsNumbers', () => {
    expect(failures(validatePayload('records-request', { ...req, resourceType: 'Appointment' }))).toEqual([
      ' additionalProperties',
    ]);
  });
  it('the clientId is not empty', () => {
    expect(failures(validatePayload('records-request', { ...req, clientId: '' }))).toEqual(['/clientId minLength']);
  });
  it('at most 5,000 numbers per call', () => {
    const many = { ...req, nhsNumbers: Array.from({ length: 5001 }, () => '9000000009') };
    expect(failures(validatePayload('records-request', many))).toEqual(['/nhsNumbers maxItems']);
  });
  it("an error body needs code and data; the spec's own error example has both", () => {
    expect(failures(validatePayload('records-error', { code: 'error.bad-request' }))).toEqual(['/data required']);
    expect(validatePayload('records-error', bases['records-error']).valid).toBe(true);
  });
});

describe('E-19 the client id sits beside or inside the Portal-Link', () => {
  const activity = '/entry/1/resource/activity/0/detail/extension';
  it("accepts the examples' sibling Extension-Client-id", () => {
    expect(validatePayload('aggregator-bundle', aggregator).valid).toBe(true);
  });
  it.each(['client-id', 'https://fhir.nhs.uk/StructureDefinition/Extension-Client-id'])(
    'accepts it nested with url %s',
    (url) => {
      const b = clone(aggregator);
      const ext = b.entry[1].resource.activity[0].detail.extension;
      ext[0].extension = [{ url, valueCode: 'myportal-01' }];
      ext.splice(1, 1);
      expect(validatePayload('aggregator-bundle', b).valid).toBe(true);
    },
  );
  it('rejects a Portal-Link with no URL (the unlinked correspondence example)', () => {
    expect(
      failures(validatePayload('aggregator-bundle', mutated(aggregator, `${activity}/0/valueUrl`, undefined))),
    ).toEqual([`${activity}/0/valueUrl required`]);
  });
});

describe("E-20 the aggregator's total counts every entry", () => {
  it('2 CarePlans + 1 OperationOutcome -> 3', () => {
    expect(aggregator.total).toBe(3);
    expect(bundleTotalMatches(aggregator)).toBe(true);
    expect(bundleTotalMatches({ ...aggregator, total: 2 })).toBe(false);
  });
});

describe('E-21 every activity carries a Portal-Link', () => {
  it('rejects an activity without one, as in the historic and SUS examples', () => {
    const pointer = '/entry/1/resource/activity/0/detail/extension';
    const v = validatePayload('aggregator-bundle', mutated(aggregator, `${pointer}/0`, undefined));
    expect(failures(v)).toEqual([`${pointer} contains`]);
    expect(v.diagnostics[0].message).toBe('must include the Portal-Link extension');
  });
});

describe('E-22 total is an integer', () => {
  it('rejects 1.5', () => {
    expect(failures(validatePayload('aggregator-bundle', { ...aggregator, total: 1.5 }))).toEqual(['/total type']);
  });
});

describe('E-23 extensions: url required, only defined urls, each with its value', () => {
  it('rejects an undefined url (a typo) with a hint', () => {
    const v = validatePayload(
      'appointments',
      mutated(
        appointments,
        `${A}/extension/1/url`,
        'https://fhir.nhs.uk/StructureDefinition/Extension-Appointment-Requeststatus',
      ),
    );
    expect(failures(v)).toEqual([`${A}/extension/1/url enum`]);
    expect(v.diagnostics[0].hint).toMatch(/typos/);
  });
  it('rejects a Priority extension without its valueCoding, and an extension without a url', () => {
    expect(
      failures(validatePayload('appointments', mutated(appointments, `${A}/extension/0/valueCoding`, undefined))),
    ).toEqual([`${A}/extension/0/valueCoding required`]);
    expect(failures(validatePayload('documents', mutated(documents, `${A}/extension/0/url`, undefined)))).toEqual([
      `${A}/extension/0/url required`,
    ]);
  });
  it('requires the Portal-Link on an appointment', () => {
    expect(failures(validatePayload('appointments', mutated(appointments, `${A}/extension/3`, undefined)))).toEqual([
      `${A}/extension contains`,
    ]);
  });
});

describe('E-25 DocumentReference.basedOn as the spec defines it', () => {
  const pathway = { type: 'CarePlan', identifier: { system: URLS.pathwayId, value: 'RBH5644312231' } };
  it('accepts one PathwayId reference', () => {
    expect(
      validatePayload(
        'documents',
        editFirst(documents, (r) => {
          r.basedOn = [pathway];
        }),
      ).valid,
    ).toBe(true);
  });
  it('rejects two', () => {
    expect(
      failures(
        validatePayload(
          'documents',
          editFirst(documents, (r) => {
            r.basedOn = [pathway, pathway];
          }),
        ),
      ),
    ).toEqual([`${A}/basedOn maxItems`]);
  });
});

describe('E-26 participants', () => {
  it('every participant has an actor with a type', () => {
    expect(
      failures(validatePayload('appointments', mutated(appointments, `${A}/participant/2/actor/type`, undefined))),
    ).toEqual([`${A}/participant/2/actor/type required`]);
  });
  it("one participant is the providing organisation's ODS-coded Location", () => {
    const v = validatePayload('appointments', mutated(appointments, `${A}/participant/1`, undefined));
    expect(failures(v)).toEqual([`${A}/participant contains`]);
    expect(v.diagnostics[0].message).toMatch(/ODS code/);
  });
  it('a Location identifier is an ODS code and a Patient identifier an NHS number', () => {
    expect(
      failures(
        validatePayload(
          'appointments',
          mutated(appointments, `${A}/participant/1/actor/identifier/system`, URLS.nhsNumber),
        ),
      ),
    ).toContain(`${A}/participant/1/actor/identifier/system const`);
    expect(
      failures(
        validatePayload('appointments', mutated(appointments, `${A}/participant/0/actor/identifier/system`, URLS.ods)),
      ),
    ).toEqual([`${A}/participant/0/actor/identifier/system const`]);
  });
  it('a face-to-face appointment names its location', () => {
    const f2f = mutated(appointments, `${A}/extension/2/valueCode`, 'FACE_TO_FACE');
    expect(validatePayload('appointments', f2f).valid).toBe(true);
    expect(failures(validatePayload('appointments', mutated(f2f, `${A}/participant/2`, undefined)))).toEqual([
      `${A}/participant contains`,
    ]);
    // A video consultation needs no physical location.
    expect(validatePayload('appointments', mutated(appointments, `${A}/participant/2`, undefined)).valid).toBe(true);
  });
  it('an inpatient (IMP) appointment has an end', () => {
    const imp = editFirst(appointments, (r) => {
      r.appointmentType = { coding: [{ system: URLS.actCode, code: 'IMP', display: 'inpatient encounter' }] };
      delete r.end;
    });
    const v = validatePayload('appointments', imp);
    expect(failures(v)).toEqual([`${A}/end required`]);
    expect(v.diagnostics[0].hint).toMatch(/inpatient/);
  });
});

describe('E-27 producer date-times are UTC', () => {
  it.each(['2021-06-13T12:30:00+00:00', '2021-06-13T12:30:00Z', '2021-06-13T12:30:00.123Z'])('accepts %s', (start) => {
    expect(validatePayload('appointments', mutated(appointments, `${A}/start`, start)).valid).toBe(true);
  });
  it('rejects another offset with one diagnostic citing the erratum', () => {
    const v = validatePayload('appointments', mutated(appointments, `${A}/start`, '2021-06-13T13:30:00+01:00'));
    expect(failures(v)).toEqual([`${A}/start pattern`]);
    expect(v.diagnostics[0].hint).toMatch(/E-27/);
  });
  it('rejects a date-time without a zone as a format error only', () => {
    expect(failures(validatePayload('tasks', mutated(tasks, `${A}/authoredOn`, '2021-06-13T12:30:00')))).toEqual([
      `${A}/authoredOn format`,
    ]);
  });
});

describe('PIFU questionnaires', () => {
  const pifu = (edit: (r: Json) => void = () => undefined): Json =>
    editFirst(tasks, (r) => {
      r.reasonCode.coding[0].code = 'pifu-triage';
      r.extension = [
        {
          url: URLS.taskTreatmentFunction,
          valueCoding: { system: URLS.specialty, code: '330', display: 'Dermatology' },
        },
      ];
      edit(r);
    });
  it('accept a pifu-triage Task with basedOn and the TreatmentFunction extension', () => {
    expect(validatePayload('tasks', pifu()).valid).toBe(true);
  });
  it('need the TreatmentFunction extension ("must be provided")', () => {
    expect(
      failures(
        validatePayload(
          'tasks',
          pifu((r) => {
            delete r.extension;
          }),
        ),
      ),
    ).toEqual([`${A}/extension required`]);
  });
  it('need basedOn ("required for PIFU questionnaires")', () => {
    expect(
      failures(
        validatePayload(
          'tasks',
          pifu((r) => {
            delete r.basedOn;
          }),
        ),
      ),
    ).toEqual([`${A}/basedOn required`]);
  });
});
