/**
 * Turns what suppliers returned (producer-standard Appointment, DocumentReference and Task bundles)
 * into the consumer API's Bundle: one CarePlan whose activities are the appointments, documents and
 * questionnaires, plus at most one OperationOutcome naming each upstream that failed, in the shapes
 * the consumer specification's examples use.
 */
import type {
  Appointment,
  Bundle,
  CarePlan,
  CarePlanActivity,
  DocumentReference,
  Extension,
  OperationOutcome,
  OperationOutcomeIssue,
  ProducerResource,
  Reference,
  Task,
} from '../../core/fhir';
import { PCA_URLS } from '../../core/fhir';
import { NHS_NUMBER_SYSTEM } from '../../core/nhs-number';
import { AGGREGATOR_URLS } from '../../contracts/schemas/aggregator';
import { URLS } from '../../contracts/schemas/common';
import type { ErsReferral, WaitingListEntry } from '../../fixtures/pack';
import { ERS_CLIENT_ID, WAITING_LIST_CLIENT_ID } from './sources';

/** The version of the consumer API whose shapes this mock produces (Bundle.meta.versionId). */
export const CONSUMER_API_VERSION = '3.3.4';

export interface ActivityDetail {
  id?: string;
  kind: 'Appointment' | 'DocumentReference' | 'QuestionnaireResponse' | 'ServiceRequest';
  status: string;
  extension: Extension[];
  description: string;
  scheduledPeriod?: { start: string; end?: string; extension?: Extension[] };
  location?: { type: 'Location'; display: string };
  performer?: Array<{ type: 'Organization'; identifier: { system: string; value: string }; display: string }>;
}

function ext(url: string, value: Omit<Extension, 'url'>): Extension {
  return { url, ...value };
}

function performer(ref: Reference | undefined): ActivityDetail['performer'] {
  const ods = ref?.identifier;
  if (!ods?.value) return undefined;
  return [
    {
      type: 'Organization',
      identifier: { system: PCA_URLS.odsCode, value: ods.value },
      display: ref?.display ?? ods.value,
    },
  ];
}

/** `https://portal/fhir/R4/Appointment/abc` or `Appointment/abc` -> `Appointment/abc`. */
function appointmentReference(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const m = /(?:^|\/)Appointment\/([^/?#]+)/.exec(ref);
  return m ? `Appointment/${m[1]}` : undefined;
}

const REQUEST_STATUS_SUFFIX: Record<string, string> = {
  'Pending Cancellation': 'PendingCancellation',
  'Pending Reschedule': 'PendingReschedule',
  'Pending Change': 'PendingChange',
};

/** PAS status plus the patient's pending request ("dumb booking") -> the consumer's status code. */
export function consumerAppointmentStatus(a: Appointment): string {
  const request = a.extension?.find((e) => e.url === PCA_URLS.requestStatus)?.valueCode;
  const suffix = request ? REQUEST_STATUS_SUFFIX[request] : undefined;
  if (!suffix) return a.status;
  if (a.status === 'booked') return `booked${suffix}`;
  if (a.status === 'cancelled' && suffix === 'PendingReschedule') return 'cancelledPendingReschedule';
  return a.status;
}

/**
 * Producer encounter class (appointmentType IMP/AMB/HH) -> consumer class. The producer standard: an
 * inpatient whose end falls on its start date is a day case; no class means outpatient.
 */
export function encounterClass(a: Appointment): 'outpatient' | 'inpatient' | 'daycase' {
  const code =
    a.appointmentType?.coding?.find((c) => c.system === 'http://terminology.hl7.org/CodeSystem/v3-ActCode')?.code ??
    a.appointmentType?.coding?.[0]?.code;
  if (code !== 'IMP') return 'outpatient';
  if (a.start && a.end && a.start.slice(0, 10) === a.end.slice(0, 10)) return 'daycase';
  return 'inpatient';
}

function appointmentActivity(a: Appointment, clientId: string): ActivityDetail {
  const extension: Extension[] = [];
  const portal = a.extension?.find((e) => e.url === PCA_URLS.portalLink)?.valueUrl;
  if (portal) extension.push(ext(PCA_URLS.portalLink, { valueUrl: portal }));
  extension.push(ext(AGGREGATOR_URLS.clientId, { valueCode: clientId }));
  extension.push(
    ext(AGGREGATOR_URLS.appointmentStatus, {
      valueCoding: { system: AGGREGATOR_URLS.appointmentStatusSystem, code: consumerAppointmentStatus(a) },
    }),
  );
  const medium = a.extension?.find((e) => e.url === PCA_URLS.consultationMedium)?.valueCode;
  if (medium && ['FACE_TO_FACE', 'VIDEO_CONSULTATION', 'TELEPHONE'].includes(medium))
    extension.push(ext(PCA_URLS.consultationMedium, { valueCode: medium }));
  extension.push(ext(AGGREGATOR_URLS.encounterClass, { valueCode: encounterClass(a) }));

  const locations = a.participant.filter((p) => p.actor?.type === 'Location');
  const ods = locations.find((p) => p.actor?.identifier?.system === PCA_URLS.odsCode)?.actor;
  const building = locations.find((p) => !p.actor?.identifier && p.actor?.display)?.actor?.display;
  const specialty = a.specialty?.[0]?.coding?.[0]?.display;
  const org = performer(ods);
  const detail: ActivityDetail = {
    ...(a.id ? { id: a.id } : {}),
    kind: 'Appointment',
    status: 'in-progress',
    extension,
    description: specialty ?? a.description ?? 'Appointment',
    ...(a.start ? { scheduledPeriod: { start: a.start, ...(a.end ? { end: a.end } : {}) } } : {}),
    // Building name, falling back to the trust's name (consumer spec, Appointment.location).
    location: { type: 'Location', display: building ?? ods?.display ?? ods?.identifier?.value ?? 'Unknown location' },
    ...(org ? { performer: org } : {}),
  };
  return detail;
}

function documentActivity(d: DocumentReference, clientId: string): ActivityDetail {
  const extension: Extension[] = [];
  const portal = d.content?.[0]?.attachment?.url;
  if (portal) extension.push(ext(PCA_URLS.portalLink, { valueUrl: portal }));
  extension.push(ext(AGGREGATOR_URLS.clientId, { valueCode: clientId }));
  const linked = appointmentReference(
    d.context?.related?.find((r) => r.type === 'Appointment' || /Appointment\//.test(r.reference ?? ''))?.reference,
  );
  if (linked) extension.push(ext(AGGREGATOR_URLS.linkedResource, { valueReference: { reference: linked } }));
  const receipt = d.extension?.find((e) => e.url === PCA_URLS.readReceipt)?.valueCode;
  if (receipt) extension.push(ext(AGGREGATOR_URLS.readReceipt, { valueCode: receipt.toLowerCase() }));
  const start = d.date ?? d.context?.period?.start;
  const org = performer(d.custodian);
  return {
    ...(d.id ? { id: d.id } : {}),
    kind: 'DocumentReference',
    status: 'in-progress',
    extension,
    description: d.description ?? 'Document',
    ...(start ? { scheduledPeriod: { start } } : {}),
    ...(org ? { performer: org } : {}),
  };
}

const TASK_STATUS: Record<string, string> = {
  requested: 'not-started',
  'in-progress': 'in-progress',
  completed: 'completed',
  cancelled: 'cancelled',
};

/** The producer standard names the field `authored`; FHIR R4 (and its example) say `authoredOn`. */
type ProducerTask = Task & {
  authored?: string;
  restriction?: { period?: { end?: string } };
  reasonCode?: { coding?: unknown; text?: string };
};

function taskActivity(t: ProducerTask, clientId: string): ActivityDetail {
  const extension: Extension[] = [];
  const portal = t.reasonReference?.reference;
  if (portal) extension.push(ext(PCA_URLS.portalLink, { valueUrl: portal }));
  extension.push(ext(AGGREGATOR_URLS.clientId, { valueCode: clientId }));
  const linked = appointmentReference(t.focus?.reference);
  if (linked) extension.push(ext(AGGREGATOR_URLS.linkedResource, { valueReference: { reference: linked } }));
  // The standard types reasonCode.coding as one object; FHIR (and the example) as an array.
  const codingRaw = t.reasonCode?.coding;
  const coding = (Array.isArray(codingRaw) ? codingRaw[0] : codingRaw) as { code?: unknown } | undefined;
  if (typeof coding?.code === 'string')
    extension.push(
      ext(AGGREGATOR_URLS.questionnaireType, {
        valueCoding: { system: AGGREGATOR_URLS.questionnaireTypeSystem, code: coding.code },
      }),
    );
  if (t.lastModified)
    extension.push(ext(AGGREGATOR_URLS.questionnaireLastModified, { valueDate: t.lastModified.slice(0, 10) }));
  const start = t.authored ?? t.authoredOn;
  const end = t.restriction?.period?.end;
  const org = performer(t.owner);
  return {
    ...(t.id ? { id: t.id } : {}),
    kind: 'QuestionnaireResponse',
    status: TASK_STATUS[t.status] ?? 'in-progress',
    extension,
    description: t.description ?? 'Questionnaire',
    ...(start ? { scheduledPeriod: { start, ...(end ? { end } : {}) } } : {}),
    ...(org ? { performer: org } : {}),
  };
}

export function toActivity(resource: ProducerResource, clientId: string): CarePlanActivity | undefined {
  switch (resource.resourceType) {
    case 'Appointment':
      return { detail: appointmentActivity(resource, clientId) as unknown as Record<string, unknown> };
    case 'DocumentReference':
      return { detail: documentActivity(resource, clientId) as unknown as Record<string, unknown> };
    case 'Task':
      return { detail: taskActivity(resource, clientId) as unknown as Record<string, unknown> };
    default:
      return undefined;
  }
}

/** One supplier record turned into its activity, with the record kept for the business rules. */
export interface SupplierItem {
  clientId: string;
  resource: ProducerResource;
  activity: CarePlanActivity;
}

/** Items from one supplier's validated searchset (only `match` entries of producer types). */
export function supplierItems(bundle: Bundle, clientId: string): SupplierItem[] {
  const out: SupplierItem[] = [];
  for (const e of bundle.entry ?? []) {
    if (e.search?.mode && e.search.mode !== 'match') continue;
    const resource = e.resource as ProducerResource;
    const activity = toActivity(resource, clientId);
    if (activity) out.push({ clientId, resource, activity });
  }
  return out;
}

/** Activities from one supplier's validated searchset (only `match` entries of producer types). */
export function activitiesFrom(bundle: Bundle, clientId: string): CarePlanActivity[] {
  return supplierItems(bundle, clientId).map((i) => i.activity);
}

function organisation(ods: string, display: string): NonNullable<ActivityDetail['performer']> {
  return [{ type: 'Organization', identifier: { system: PCA_URLS.odsCode, value: ods }, display }];
}

/** The e-RS referral as the consumer spec's ServiceRequest activity (examples referralActive*). */
export function referralActivity(r: ErsReferral): CarePlanActivity {
  const detail = {
    id: r.ubrn,
    kind: 'ServiceRequest',
    status: 'in-progress',
    extension: [
      ext(PCA_URLS.portalLink, { valueUrl: `https://refer.nhs.uk/nhslogin?ubrn=${r.ubrn}` }),
      ext(AGGREGATOR_URLS.clientId, { valueCode: ERS_CLIENT_ID }),
      ext(AGGREGATOR_URLS.ersReferralState, {
        valueCoding: { system: AGGREGATOR_URLS.ersReferralStateSystem, code: r.state },
      }),
      ext(AGGREGATOR_URLS.specialty, { valueCoding: { system: PCA_URLS.specialty, display: r.specialty } }),
    ],
    description: r.description,
    scheduledPeriod: {
      start: r.created,
      ...(r.reviewDue ? { extension: [ext(AGGREGATOR_URLS.reviewDueDate, { valueDate: r.reviewDue })] } : {}),
    },
    performer: organisation(r.ods, r.orgName),
  } satisfies ActivityDetail;
  return { detail: detail as unknown as Record<string, unknown> };
}

/** The waiting-list source's PIFU questionnaire for an entry (examples pifu*: client nhs-waiting-list-01). */
export function waitingListPifuActivity(w: WaitingListEntry): CarePlanActivity | undefined {
  if (!w.pifu) return undefined;
  const detail = {
    ...(w.pifu.id ? { id: w.pifu.id } : {}),
    kind: 'QuestionnaireResponse',
    status: w.pifu.status,
    extension: [
      ext(PCA_URLS.portalLink, {
        valueUrl: `https://api.service.nhs.uk/national-waiting-list/pifu-request/triage-questionnaire?p=${w.pathwayId}`,
      }),
      ext(AGGREGATOR_URLS.clientId, { valueCode: WAITING_LIST_CLIENT_ID }),
      ext(AGGREGATOR_URLS.questionnaireType, {
        valueCoding: { system: AGGREGATOR_URLS.questionnaireTypeSystem, code: 'pifu-triage' },
      }),
    ],
    description: w.pifu.description,
    scheduledPeriod: { start: w.pifu.start, ...(w.pifu.end ? { end: w.pifu.end } : {}) },
    performer: organisation(w.ods, w.orgName),
  } satisfies ActivityDetail;
  return { detail: detail as unknown as Record<string, unknown> };
}

/**
 * One waiting-list entry as its own CarePlan (example pathwayActiveEstimatedWait): the pathway id,
 * the clock start, and the planned and 80th-percentile waits as period extensions. `activity` is the
 * PIFU questionnaire the business rules kept for the pathway, if any.
 */
export function waitingListCarePlan(
  w: WaitingListEntry,
  nhsNumber: string,
  activity: CarePlanActivity | undefined,
): CarePlan {
  const waits: Extension[] = [];
  if (w.plannedWaitWeeks !== undefined)
    waits.push(ext(AGGREGATOR_URLS.plannedWaitTime, { valueDuration: { value: w.plannedWaitWeeks, unit: 'weeks' } }));
  if (w.percentile80WaitWeeks !== undefined)
    waits.push(
      ext(AGGREGATOR_URLS.percentile80WaitTime, { valueDuration: { value: w.percentile80WaitWeeks, unit: 'weeks' } }),
    );
  return {
    resourceType: 'CarePlan',
    meta: { profile: [AGGREGATOR_URLS.carePlanProfile] },
    identifier: [{ system: URLS.carePathwayId, value: w.pathwayId }],
    status: 'active',
    intent: 'order',
    title: w.title,
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } } as Reference,
    period: { start: w.start, ...(waits.length ? { extension: waits } : {}) },
    author: {
      type: 'Organization',
      identifier: { system: PCA_URLS.odsCode, value: w.ods },
      display: w.orgName,
    } as Reference,
    ...(activity ? { activity: [activity] } : {}),
  };
}

export type UpstreamIssueCode = 'timeout' | 'structure' | 'transient' | 'exception' | 'business-rule';

export interface UpstreamIssue {
  clientId: string;
  code: UpstreamIssueCode;
  diagnostics: string;
  /** `information` for a business rule (data suppressed on purpose); `error` otherwise. */
  severity?: 'error' | 'information';
}

export function upstreamIssue(i: UpstreamIssue): OperationOutcomeIssue {
  return {
    severity: i.severity ?? 'error',
    code: i.code,
    extension: [{ url: PCA_URLS.errorSource, valueCode: i.clientId }],
    diagnostics: i.diagnostics,
  };
}

export interface ConsumerBundleInput {
  /** X-Correlation-ID of the consumer request: the spec uses it as Bundle.id. */
  correlationId: string;
  nhsNumber: string;
  activities: CarePlanActivity[];
  issues: UpstreamIssue[];
  /** One CarePlan per waiting-list entry, after the main CarePlan (fullUrl `CarePlan/<pathway id>`). */
  waitingLists?: CarePlan[];
  /** Base for fullUrl, e.g. `http://127.0.0.1:7070`. */
  baseUrl: string;
}

/**
 * The consumer Bundle, or `undefined` when there is nothing to say (no data and no upstream errors:
 * WF-NFR-07 answers 200 with an empty body).
 */
export function consumerBundle(input: ConsumerBundleInput): Bundle<CarePlan | OperationOutcome> | undefined {
  const waitingLists = input.waitingLists ?? [];
  if (input.activities.length === 0 && input.issues.length === 0 && waitingLists.length === 0) return undefined;
  const base = input.baseUrl.replace(/\/$/, '');
  const entry: NonNullable<Bundle<CarePlan | OperationOutcome>['entry']> = [];
  if (input.activities.length > 0) {
    const carePlan: CarePlan = {
      resourceType: 'CarePlan',
      meta: { profile: [AGGREGATOR_URLS.carePlanProfile] },
      status: 'active',
      intent: 'order',
      subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: input.nhsNumber } } as Reference,
      activity: input.activities,
    };
    entry.push({ fullUrl: `${base}/CarePlan/${input.correlationId}`, search: { mode: 'match' }, resource: carePlan });
  }
  for (const plan of waitingLists) {
    const id = plan.identifier?.[0]?.value ?? input.correlationId;
    entry.push({ fullUrl: `${base}/CarePlan/${id}`, search: { mode: 'match' }, resource: plan });
  }
  if (input.issues.length > 0) {
    const outcome: OperationOutcome = {
      resourceType: 'OperationOutcome',
      meta: { profile: [AGGREGATOR_URLS.operationOutcomeProfile] },
      issue: input.issues.map(upstreamIssue),
    };
    entry.push({
      fullUrl: `${base}/OperationOutcome/${input.correlationId}`,
      search: { mode: 'include' },
      resource: outcome,
    });
  }
  return {
    resourceType: 'Bundle',
    id: input.correlationId,
    meta: { versionId: CONSUMER_API_VERSION, profile: [AGGREGATOR_URLS.bundleProfile] },
    type: 'searchset',
    total: entry.length,
    entry,
  };
}
