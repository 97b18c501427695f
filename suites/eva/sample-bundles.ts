/**
 * Realistic producer bundles shaped like the specification's examples, for the comparator's tests
 * and benchmark. Deterministic: the same arguments give the same bundle.
 */
import type { Appointment, Bundle, DocumentReference, Task } from '../../core/fhir';
import { PCA_URLS, searchsetBundle } from '../../core/fhir';
import { NHS_NUMBER_SYSTEM } from '../../core/nhs-number';

const PORTAL = 'https://my.patientportal.example';
const CLINICAL_SYSTEM = 'https://fhir.myclinicalsystem.example/r4/Appointment';
const PORTAL_SYSTEM = 'https://prod.myportal.example/fhir/Appointment';

export interface SampleAppointmentOptions {
  id: string;
  sourceId: string;
  status?: Appointment['status'];
  start?: string;
  end?: string;
  description?: string;
  medium?: string;
}

export function sampleAppointment(nhsNumber: string, o: SampleAppointmentOptions): Appointment {
  return {
    resourceType: 'Appointment',
    id: o.id,
    meta: { lastUpdated: '2021-06-01T09:00:00+00:00' },
    extension: [
      {
        url: PCA_URLS.priority,
        valueCoding: { system: 'https://fhir.nhs.uk/CodeSystem/eRS-Priority', code: 'ROUTINE' },
      },
      { url: PCA_URLS.consultationMedium, valueCode: o.medium ?? 'FACE_TO_FACE' },
      { url: PCA_URLS.portalLink, valueUrl: `${PORTAL}/Appointment/${o.sourceId}` },
    ],
    identifier: [
      { system: CLINICAL_SYSTEM, value: o.sourceId },
      { system: PORTAL_SYSTEM, value: `portal-${o.sourceId}` },
    ],
    status: o.status ?? 'booked',
    description: o.description ?? 'Dermatology',
    start: o.start ?? '2021-06-13T12:30:00+00:00',
    end: o.end ?? '2021-06-13T12:45:00+00:00',
    basedOn: [
      {
        identifier: [
          { system: PCA_URLS.ubrn, value: '000000000001' },
          { system: PCA_URLS.pathwayId, value: 'RBH5644312231' },
        ],
      },
    ],
    participant: [
      { actor: { type: 'Patient', identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } }, status: 'accepted' },
      { actor: { type: 'Location', identifier: { system: PCA_URLS.odsCode, value: 'RFF' } }, status: 'accepted' },
      {
        actor: { type: 'Location', display: 'Chapel Allerton Hospital, Dentistry Dept, 2nd Floor' },
        status: 'accepted',
      },
    ],
  };
}

export function sampleDocumentReference(nhsNumber: string, id: string, sourceId: string): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id,
    extension: [{ url: PCA_URLS.readReceipt, valueCode: 'Read' }],
    identifier: [{ system: 'https://fhir.myclinicalsystem.example/r4/DocumentReference', value: sourceId }],
    status: 'current',
    docStatus: 'final',
    subject: { type: 'Patient', identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
    date: '2021-06-13T12:30:00+00:00',
    custodian: {
      type: 'Organization',
      identifier: { system: PCA_URLS.odsCode, value: 'RFF' },
      display: 'Barnsley Hospital NHS Foundation Trust',
    },
    description: 'Dermatology cancellation letter',
    content: [{ attachment: { contentType: 'application/pdf', url: `${PORTAL}/Document/${id}` } }],
  };
}

export function sampleTask(nhsNumber: string, id: string): Task {
  return {
    resourceType: 'Task',
    id,
    basedOn: [{ type: 'CarePlan', identifier: { system: PCA_URLS.pathwayId, value: 'RBH5644312231' } }],
    status: 'requested',
    intent: 'plan',
    description: 'Dermatology Pre-consultation Health Survey',
    focus: { type: 'Appointment', reference: `${PORTAL}/Appointment/${id}` },
    for: { type: 'Patient', identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
    authoredOn: '2021-06-13T12:30:00+00:00',
    owner: {
      type: 'Organization',
      identifier: { system: PCA_URLS.odsCode, value: 'RFF' },
      display: 'Barnsley Hospital NHS Foundation Trust',
    },
    reasonCode: {
      coding: [
        {
          system: 'https://fhir.nhs.uk/StructureDefinition/Extension-Questionnaire-Type',
          code: 'CONS-Survey',
          display: 'Consultation Survey',
        },
      ],
      text: 'Pre-consultation Survey',
    },
  };
}

/** A searchset as a supplier would send it: fullUrl, search mode and total set. */
export function sampleBundle<R extends Appointment | DocumentReference | Task>(resources: R[]): Bundle<R> {
  return {
    ...searchsetBundle(resources, (r) => `${PORTAL}/${r.resourceType}/${r.id ?? ''}`),
    meta: { lastUpdated: '2021-06-13T13:00:00Z' },
  };
}

/** Appointment, DocumentReference and Task bundles for one patient; `n` varies ids and values. */
export function samplePatientBundles(
  nhsNumber: string,
  n: number,
): { Appointment: Bundle<Appointment>; DocumentReference: Bundle<DocumentReference>; Task: Bundle<Task> } {
  const appointments = [
    sampleAppointment(nhsNumber, { id: `appt-${n}-1`, sourceId: `${4800000 + n * 3}` }),
    sampleAppointment(nhsNumber, {
      id: `appt-${n}-2`,
      sourceId: `${4800001 + n * 3}`,
      status: 'cancelled',
      start: '2021-07-01T09:00:00+00:00',
      end: '2021-07-01T09:15:00+00:00',
      medium: 'VIDEO_CONSULTATION',
    }),
  ];
  if (n % 3 === 0)
    appointments.push(
      sampleAppointment(nhsNumber, {
        id: `appt-${n}-3`,
        sourceId: `${4800002 + n * 3}`,
        status: 'fulfilled',
        description: 'Cardiology',
      }),
    );
  return {
    Appointment: sampleBundle(appointments),
    DocumentReference: sampleBundle([sampleDocumentReference(nhsNumber, `doc-${n}-1`, `${7000000 + n}`)]),
    Task: sampleBundle(n % 2 === 0 ? [sampleTask(nhsNumber, `task-${n}-1`)] : []),
  };
}
