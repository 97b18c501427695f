/**
 * `npm run test:upstream` (reads PCA_SPEC_DIR).
 * Every example payload of the official specs, read where it lives, through the contract schemas:
 * each passes or fails exactly as docs/spec-errata.md decides, at exactly the pointers listed. When a
 * failing example is repaired in just the way the erratum names, it passes, which proves that
 * erratum is the only reason it failed.
 */
import { SPEC_FILES, loadSpecExamples, readExampleFile, specBases } from '../test-support/spec-files';
import { URLS } from './schemas/common';
import { clone, failures, setAt } from './test-helpers';
import { type SchemaKind, validatePayload } from './validate';

// The spec's examples are free-form JSON that these tests poke into.
type Json = Record<string, any>;

const SPECIALTY = [{ coding: [{ system: URLS.specialty, code: '330', display: 'Dermatology' }] }];
const VALID_NHS = '9000000009';

function withSpecialty(bundle: Json): Json {
  const b = clone(bundle);
  for (const e of b.entry) e.resource.specialty = SPECIALTY;
  return b;
}

describe('examples/*.json from the specification', () => {
  const table: Array<[file: string, kind: SchemaKind, expected: string[], erratum: string]> = [
    ['GetAppointmentResponseHappyPath.json', 'appointments', ['/entry/0/resource/specialty required'], 'E-04'],
    [
      'GetInpatientAdmissionResponseHappyPath.json',
      'appointments',
      [
        '/entry/0/resource/specialty required',
        '/entry/1/resource/extension contains',
        '/entry/1/resource/specialty required',
      ],
      'E-04, E-05',
    ],
    [
      'GetDocumentReferencesResponseHappyPath.json',
      'documents',
      ['/entry/0/resource/subject/identifier/value format'],
      'E-12',
    ],
    ['GetTasksResponseHappyPath.json', 'tasks', ['/entry/0/resource/for/identifier/value format'], 'E-12'],
    ['RecordServiceSendPatientListRequest.json', 'records-request', ['/nhsNumbers/1 format'], 'E-12'],
    ['RecordServiceSendPatientListResponseHappyPath.json', 'records-success', [], ''],
    ['RecordServiceSendPatientListResponseError.json', 'records-error', [], ''],
  ];

  it.each(table)('%s as %s: failures %j (%s)', (file, kind, expected) => {
    const v = validatePayload(kind, readExampleFile(file));
    expect(v.valid).toBe(expected.length === 0);
    expect(failures(v)).toEqual(expected);
  });

  it('the appointment examples pass once they carry a specialty (E-04) and, for the inpatient one, a consultation medium (E-05)', () => {
    expect(
      validatePayload('appointments', withSpecialty(readExampleFile('GetAppointmentResponseHappyPath.json') as Json)),
    ).toEqual({ valid: true, diagnostics: [] });
    const inpatient = withSpecialty(readExampleFile('GetInpatientAdmissionResponseHappyPath.json') as Json);
    inpatient.entry[1].resource.extension.push({ url: URLS.consultationMedium, valueCode: 'FACE_TO_FACE' });
    expect(validatePayload('appointments', inpatient)).toEqual({ valid: true, diagnostics: [] });
  });

  it('the document, task and record-service examples pass once their NHS numbers pass Modulus 11 (E-12)', () => {
    const doc = readExampleFile('GetDocumentReferencesResponseHappyPath.json') as Json;
    setAt(doc, '/entry/0/resource/subject/identifier/value', VALID_NHS);
    expect(validatePayload('documents', doc).valid).toBe(true);
    const task = readExampleFile('GetTasksResponseHappyPath.json') as Json;
    setAt(task, '/entry/0/resource/for/identifier/value', VALID_NHS);
    expect(validatePayload('tasks', task).valid).toBe(true);
    const request = readExampleFile('RecordServiceSendPatientListRequest.json') as Json;
    setAt(request, '/nhsNumbers/1', '9990000018');
    expect(validatePayload('records-request', request).valid).toBe(true);
  });

  it('says why the example NHS number fails without repeating it', () => {
    const v = validatePayload('documents', readExampleFile('GetDocumentReferencesResponseHappyPath.json'));
    expect(v.diagnostics[0].message).toBe(
      'is not a valid NHS number: the Modulus 11 check digit is wrong (expected 9, got 1)',
    );
    expect(JSON.stringify(v.diagnostics)).not.toContain('9000000001');
  });

  it('explains a missing specialty with the erratum, not just the rule', () => {
    const v = validatePayload('appointments', readExampleFile('GetAppointmentResponseHappyPath.json'));
    expect(v.diagnostics[0].hint).toMatch(/E-04/);
  });
});

describe('components.examples of the producer API standard', () => {
  const examples = loadSpecExamples(SPEC_FILES.producer);
  const table: Array<[name: string, kind: SchemaKind, expected: string[]]> = [
    ['emptyBundle', 'appointments', []],
    ['emptyBundle', 'documents', []],
    ['emptyBundle', 'tasks', []],
    ['outpatientAppointment', 'appointments', ['/entry/0/resource/specialty required']],
    [
      'inpatientAdmission',
      'appointments',
      [
        '/entry/0/resource/specialty required',
        '/entry/1/resource/extension contains',
        '/entry/1/resource/specialty required',
      ],
    ],
    ['document', 'documents', ['/entry/0/resource/subject/identifier/value format']],
    ['questionnaire', 'tasks', ['/entry/0/resource/for/identifier/value format']],
    ['missingNhsNumber', 'operation-outcome', []],
    ['invalidNhsNumber', 'operation-outcome', []],
    ['mismatchNhsNumber', 'operation-outcome', []],
    ['invalidAuthToken', 'operation-outcome', []],
    ['under16', 'operation-outcome', []],
    ['missingNhsdTargetIdentifier', 'operation-outcome', []],
    ['rateLimit', 'operation-outcome', []],
    ['gatewayTimeout', 'operation-outcome', []],
  ];

  it('has exactly the examples this table covers', () => {
    expect(Object.keys(examples).sort()).toEqual([...new Set(table.map(([n]) => n))].sort());
  });

  it.each(table)('%s as %s: failures %j', (name, kind, expected) => {
    expect(failures(validatePayload(kind, examples[name]))).toEqual(expected);
  });

  it('the questionnaire example, with its TreatmentFunction extension, passes once its NHS number is valid', () => {
    const q = clone(examples.questionnaire) as Json;
    expect(q.entry[0].resource.extension).toHaveLength(1);
    setAt(q, '/entry/0/resource/for/identifier/value', VALID_NHS);
    expect(validatePayload('tasks', q)).toEqual({ valid: true, diagnostics: [] });
  });

  it('an appointment example is not a valid DocumentReference bundle (E-01)', () => {
    expect(failures(validatePayload('documents', withSpecialty(examples.outpatientAppointment as Json)))).toEqual([
      '/entry/0/resource/resourceType const',
    ]);
  });
});

describe('components.examples of the consumer API (what the aggregator returns)', () => {
  const examples = loadSpecExamples(SPEC_FILES.consumer);
  const nhs = '/entry/0/resource/subject/identifier/value format';
  // Each failure is an erratum: E-24 example defects, E-21 Portal-Link, E-14 upstream issues, E-12 NHS numbers.
  const expected: Record<string, string[]> = {
    emptyBundle: [],
    operationOutcomeBusinessRule: [],
    allReferralStates: ['/entry/0/resource/activity/3/detail/scheduledPeriod/extension/0/url enum'], // http://fhir.nhs.net url
    allAppointmentStates: [
      '/entry/0/resource/activity/1/detail/extension/3/valueCode enum', // VIRTUAL
      '/entry/0/resource/activity/23/detail/extension contains', // SUS appointments: no Portal-Link
      '/entry/0/resource/activity/24/detail/extension contains',
      '/entry/0/resource/activity/25/detail/extension contains',
    ],
    allDocumentStates: [],
    allQuestionnairestates: [],
    incompleteWaitingLists: ['/entry/0/resource/period/extension/1/valueDuration required'], // valuationDuration
    incompleteWaitingListBreastScreening: [
      '/entry/0/resource/identifier/0/system const',
      '/entry/0/resource/identifier/0/value type',
    ],
    completeWaitingLists: [],
    multipleWaitingLists: [
      '/entry/0/resource/activity/0/detail/extension contains', // waiting-list referral: no Portal-Link
      '/entry/0/resource/period/extension/1/valueDuration required',
      '/entry/1/resource/activity/0/detail/extension contains',
    ],
    incompleteWaitingListUnattachedReferral: ['/entry/0/resource/period/extension/1/valueDuration required'],
    incompleteWaitingListUnattachedFutureAppointment: ['/entry/0/resource/period/extension/1/valueDuration required'],
    incompleteWaitingListUnattachedMultipleAppointments: [
      '/entry/0/resource/period/extension/1/valueDuration required',
      '/entry/1/resource/activity/3/detail/extension contains',
    ],
    incompleteWaitingListUnattachedMultipleAppointmentsInpatients: [
      '/entry/0/resource/period/extension/1/valueDuration required',
      '/entry/1/resource/activity/3/detail/extension contains',
    ],
    oneOrMoreErrors: ['/entry/0/resource/period/extension/1/valueDuration required'],
    upstreamTimeout: [],
    upstreamFailedValidation: ['/entry/0/resource/issue required'], // issue indented outside the resource
    upstreamHttpStatusError: [],
    upstreamUnexpected: [],
    upstreamMultipleErrors: [],
    pifuZeroWaitingListZeroPifu: [],
    pifuOneWaitingListZeroPifu: [nhs],
    pifuOneWaitingListOnePifuQuestionnaireWithMatchPepResponseError: [
      '/entry/0/resource/activity/0/detail/performer/0/identifier required',
      nhs,
      '/entry/1/resource/issue/0/extension/0/url const',
    ],
    pifuOneWaitingListOnePifuQuestionnaireWithMatchSuppressed: [nhs, '/entry/1/resource/issue/0/extension required'],
    pifuTwoWaitingListTwoPifuOneActiveAndCompleted: [nhs, '/entry/1/resource/subject/identifier/value format'],
    pifuOneWaitingListOnePifuWuestionnaireWithoutMatchMultipleActivations: [
      nhs,
      '/entry/1/resource/issue/0/extension/0/url const',
    ],
    pifuTwoWaitingListTwoPifuOneActiveWithMultipleActivationsOneMatchedOneNonPifuQuestionnaire: [
      nhs,
      '/entry/1/resource/subject/identifier/value format',
      '/entry/2/resource/subject/identifier/value format',
      '/entry/3/resource/issue/0/extension/0/url const',
    ],
    pifuTwoWaitingListZeroPifuPepFivePifuQuestionnaires: [
      nhs,
      '/entry/1/resource/subject/identifier/value format',
      '/entry/2/resource/subject/identifier/value format',
    ],
    pifuZeroWaitingListZeroPifuPepTimeout: ['/entry/0/resource/issue/0/extension/0/url const'],
    pifuWlmdsError: [nhs, '/entry/1/resource/issue/0/extension/0/url const'],
    // Top-level error bodies (E-14: any R4 IssueType code there).
    missingNhsNumber: [],
    invalidNhsNumber: [],
    mismatchNhsNumber: [],
    invalidAuthToken: [],
    under16: [],
    missingNhsdTargetIdentifier: [],
    internalError: [],
  };

  const kindOf = (v: unknown): SchemaKind | undefined => {
    const rt = (v as { resourceType?: unknown } | undefined)?.resourceType;
    return rt === 'Bundle' ? 'aggregator-bundle' : rt === 'OperationOutcome' ? 'operation-outcome' : undefined;
  };

  it('covers every complete payload among the examples (the rest are fragments or the non-FHIR 429 body)', () => {
    const payloads = Object.entries(examples)
      .filter(([, v]) => kindOf(v))
      .map(([n]) => n)
      .sort();
    expect(payloads).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s: failures %j', (name, pointers) => {
    const value = examples[name];
    expect(failures(validatePayload(kindOf(value)!, value))).toEqual([...pointers].sort());
  });

  it('oneOrMoreErrors passes once its wait-time typo is fixed, and its total counts the OperationOutcome (E-20)', () => {
    const b = specBases()['aggregator-bundle'] as Json;
    expect(validatePayload('aggregator-bundle', b)).toEqual({ valid: true, diagnostics: [] });
    expect(b.total).toBe(3);
    expect(b.entry.map((e: Json) => e.resource.resourceType)).toEqual(['CarePlan', 'CarePlan', 'OperationOutcome']);
  });
});
