/**
 * How the reference supplier behaves, as a record of hooks. CONFORMING_API / CONFORMING_UPLOAD are
 * the standard; each fault replaces exactly one hook (FAULT_HOOKS below), so a fault is one small,
 * obvious deviation and the request pipeline has no fault-specific branches.
 */
import {
  type Appointment,
  type Bundle,
  type BundleEntry,
  type FhirResource,
  FHIR_JSON,
  PCA_URLS,
  type ProducerResourceType,
} from '../../core/fhir';
import type { Profile } from '../../core/config';
import { ineligibility, type IneligibleReason, type PackIndex, type PackPatient } from '../../fixtures/pack';
import type { SupplierError } from './errors';
import type { IdTokenPolicy } from './id-token';
import { type ApiFaultName, type FaultName, type UploadFaultName, isApiFault, isUploadFault } from './faults';

/** What the pipeline decided, before it is turned into bytes. */
export type Reply = { kind: 'bundle'; bundle: Bundle } | { kind: 'error'; error: SupplierError };

export interface Rendered {
  status: number;
  /** Omitted when the body is empty. */
  contentType?: string;
  body: string;
  headers?: Record<string, string>;
}

export interface ShapeContext {
  resourceType: ProducerResourceType;
  nhsNumber: string;
  /** The pack's record of the requested patient, when the pack knows them. */
  patient?: PackPatient;
  index: PackIndex;
}

export interface ApiBehaviour {
  echoCorrelationId: boolean;
  enforceRateLimit: boolean;
  enforceDeadline: boolean;
  /** Extra latency per data request, on top of the configured `latencyMs`. */
  addedLatencyMs: (random: () => number) => number;
  checkBearer: boolean;
  /** Validate the Modulus 11 check digit of patient:identifier (the format is always checked). */
  validateCheckDigit: boolean;
  /** Refuse a request without NHSD-ID-Token; when false such a request is served unchecked. */
  requireIdToken: boolean;
  /** Which parts of the NHSD-ID-Token are verified (OpenID Connect Core 3.1.3.7). */
  idToken: IdTokenPolicy;
  allowedProofingLevels: readonly string[];
  crossCheckNhsNumber: boolean;
  crossCheckBirthDate: boolean;
  checkUnder16: boolean;
  /** With MIv2 reporting on, add extSystemName and trackingId to every deep link. */
  trackDeepLinks: boolean;
  /** Last step before rendering: the conforming supplier returns the pack's bundle unchanged. */
  shapeBundle: (bundle: Bundle, ctx: ShapeContext) => Bundle;
  render: (reply: Reply) => Rendered;
}

export interface UploadBehaviour {
  /** The URL batches are posted to, given the normalised Record Service URL. */
  recordsUrl: (url: string) => string;
  /** Why a patient must not be sent, or undefined when they may be. */
  exclusion: (patient: PackPatient, on: Date) => IneligibleReason | undefined;
  batchLimit: (profile: Profile) => number;
  maxAttempts: (configured: number) => number;
  /** Whether NHS numbers the journal records as acknowledged are left out of later runs. */
  honourJournal: boolean;
}

/** A searchset bundle with `total` equal to its entries; `entry` is left out when empty, as FHIR JSON wants. */
export function searchset(entries: BundleEntry[], base?: Bundle): Bundle {
  const {
    entry: _old,
    total: _total,
    ...rest
  } = base ?? { resourceType: 'Bundle' as const, type: 'searchset' as const };
  return {
    ...rest,
    resourceType: 'Bundle',
    type: 'searchset',
    total: entries.length,
    ...(entries.length ? { entry: entries } : {}),
  };
}

export function renderConforming(reply: Reply): Rendered {
  if (reply.kind === 'bundle') return { status: 200, contentType: FHIR_JSON, body: JSON.stringify(reply.bundle) };
  return {
    status: reply.error.status,
    contentType: FHIR_JSON,
    body: JSON.stringify(reply.error.outcome),
    headers: reply.error.headers,
  };
}

export const CONFORMING_API: ApiBehaviour = {
  echoCorrelationId: true,
  enforceRateLimit: true,
  enforceDeadline: true,
  addedLatencyMs: () => 0,
  checkBearer: true,
  validateCheckDigit: true,
  requireIdToken: true,
  idToken: { signature: 'verify', audience: true, azp: true },
  allowedProofingLevels: ['P9'],
  crossCheckNhsNumber: true,
  crossCheckBirthDate: true,
  checkUnder16: true,
  trackDeepLinks: true,
  shapeBundle: (bundle) => bundle,
  render: renderConforming,
};

export const RECORD_SERVICE_BATCH_LIMIT: Record<Profile, number> = { int: 200, prod: 5000 };

export const CONFORMING_UPLOAD: UploadBehaviour = {
  recordsUrl: (url) => url,
  exclusion: ineligibility,
  batchLimit: (profile) => RECORD_SERVICE_BATCH_LIMIT[profile],
  maxAttempts: (configured) => configured,
  honourJournal: true,
};

type Resource = FhirResource & { description?: string };

function mapResources(bundle: Bundle, fn: (r: Resource) => Resource): Bundle {
  return {
    ...bundle,
    ...(bundle.entry ? { entry: bundle.entry.map((e) => ({ ...e, resource: fn(e.resource as Resource) })) } : {}),
  };
}

function withParams(url: string, params: Record<string, string>): string {
  try {
    const u = new URL(url);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * MIv2 reporting (producer standard, Reporting Service considerations): every deep link carries
 * extSystemName and, on a Wayfinder page journey, trackingId = the request's X-Correlation-ID.
 */
export function withTracking(bundle: Bundle, extSystemName: string, trackingId: string): Bundle {
  const p = { extSystemName, trackingId };
  return mapResources(bundle, (r) => {
    if (r.resourceType === 'Appointment')
      return {
        ...r,
        extension: r.extension?.map((e) =>
          e.url === PCA_URLS.portalLink && e.valueUrl ? { ...e, valueUrl: withParams(e.valueUrl, p) } : e,
        ),
      };
    if (r.resourceType === 'DocumentReference')
      return {
        ...r,
        content: r.content.map((c) =>
          c.attachment?.url ? { ...c, attachment: { ...c.attachment, url: withParams(c.attachment.url, p) } } : c,
        ),
      };
    if (r.resourceType === 'Task' && r.reasonReference?.reference)
      return { ...r, reasonReference: { ...r.reasonReference, reference: withParams(r.reasonReference.reference, p) } };
    return r;
  });
}

function mapAppointments(bundle: Bundle, fn: (a: Appointment) => Appointment): Bundle {
  return mapResources(bundle, (r) => (r.resourceType === 'Appointment' ? fn(r) : r));
}

function withMedium(a: Appointment, code: string): Appointment {
  const others = (a.extension ?? []).filter((e) => e.url !== PCA_URLS.consultationMedium);
  return { ...a, extension: [...others, { url: PCA_URLS.consultationMedium, valueCode: code }] };
}

/** An entry of the same resource type that belongs to someone else in the pack. */
function otherPatientsEntry(ctx: ShapeContext): BundleEntry | undefined {
  for (const p of ctx.index.patients) {
    if (p.nhsNumber === ctx.nhsNumber) continue;
    const entry = p.expected[ctx.resourceType]?.entry?.[0];
    if (entry) return entry as BundleEntry;
  }
  return undefined;
}

const API_FAULT_HOOKS: Record<ApiFaultName, Partial<ApiBehaviour>> = {
  'no-correlation-echo': { echoCorrelationId: false },
  'virtual-medium': { shapeBundle: (b) => mapAppointments(b, (a) => withMedium(a, 'VIRTUAL')) },
  'missing-portal-link': {
    shapeBundle: (b) =>
      mapAppointments(b, (a) => ({
        ...a,
        extension: (a.extension ?? []).filter((e) => e.url !== PCA_URLS.portalLink),
      })),
  },
  'no-under16-check': { checkUnder16: false },
  'no-nhs-crosscheck': { crossCheckNhsNumber: false },
  'no-dob-crosscheck': { crossCheckBirthDate: false },
  'accepts-any-bearer': { checkBearer: false },
  'ignores-id-token-signature': { idToken: { ...CONFORMING_API.idToken, signature: 'decode-only' } },
  'accepts-alg-none': { idToken: { ...CONFORMING_API.idToken, signature: 'unless-alg-none' } },
  'ignores-id-token-audience': { idToken: { ...CONFORMING_API.idToken, audience: false } },
  'ignores-id-token-azp': { idToken: { ...CONFORMING_API.idToken, azp: false } },
  'accepts-missing-id-token': { requireIdToken: false },
  'accepts-wrong-check-digit': { validateCheckDigit: false },
  'accepts-p5': { allowedProofingLevels: ['P9', 'P5', 'P0'] },
  'empty-200': {
    render: (reply) =>
      reply.kind === 'bundle' && !reply.bundle.entry?.length ? { status: 200, body: '' } : renderConforming(reply),
  },
  'wrong-content-type': { render: (reply) => ({ ...renderConforming(reply), contentType: 'application/json' }) },
  'total-mismatch': { shapeBundle: (b) => ({ ...b, total: (b.entry?.length ?? 0) + 1 }) },
  'drops-cancelled': {
    // Appointments only: a cancelled Task is another rule, and the fault must break exactly one.
    shapeBundle: (b, ctx) =>
      ctx.resourceType !== 'Appointment'
        ? b
        : searchset(
            (b.entry ?? []).filter((e) => (e.resource as { status?: string }).status !== 'cancelled'),
            b,
          ),
  },
  'leaks-other-patient': {
    shapeBundle: (b, ctx) => {
      const leak = otherPatientsEntry(ctx);
      return leak ? searchset([...(b.entry ?? []), leak], b) : b;
    },
  },
  'pid-in-description': {
    shapeBundle: (b, ctx) => {
      const p = ctx.patient;
      if (!p) return b;
      const pid = `${p.name.given.join(' ')} ${p.name.family}, born ${p.birthDate}`;
      return mapResources(b, (r) => ({ ...r, description: `${r.description ?? r.resourceType} for ${pid}` }));
    },
  },
  'postcode-in-description': {
    shapeBundle: (b) =>
      mapResources(b, (r) => ({ ...r, description: `${r.description ?? r.resourceType}, patient postcode LS1 4AP` })),
  },
  'lastmodified-before-authored': {
    shapeBundle: (b) =>
      mapResources(b, (r) => {
        if (r.resourceType !== 'Task' || !r.lastModified || !r.authoredOn) return r;
        return { ...r, lastModified: new Date(Date.parse(r.authoredOn) - 86_400_000).toISOString() };
      }),
  },
  'wrong-issue-codes': {
    // Every error keeps its status and body, but says `exception` whatever the 4XX table gives.
    render: (reply) =>
      renderConforming(
        reply.kind === 'bundle'
          ? reply
          : {
              kind: 'error',
              error: {
                ...reply.error,
                outcome: {
                  ...reply.error.outcome,
                  issue: reply.error.outcome.issue.map((i) => ({ ...i, code: 'exception' })),
                },
              },
            },
      ),
  },
  'no-tracking-id': { trackDeepLinks: false },
  'error-not-operationoutcome': {
    render: (reply) => {
      if (reply.kind === 'bundle') return renderConforming(reply);
      const issue = reply.error.outcome.issue[0]!;
      return {
        status: reply.error.status,
        contentType: 'application/json',
        body: JSON.stringify({ error: issue.code, message: issue.diagnostics }),
        headers: reply.error.headers,
      };
    },
  },
  slow: { addedLatencyMs: (random) => 450 + Math.floor(random() * 151) },
  'no-429': { enforceRateLimit: false },
  'no-504': { enforceDeadline: false },
};

const UPLOAD_FAULT_HOOKS: Record<UploadFaultName, Partial<UploadBehaviour>> = {
  'trailing-slash-upload': { recordsUrl: (url) => `${url}/` },
  'sends-under16': {
    exclusion: (p, on) => {
      const why = ineligibility(p, on);
      return why === 'under-16' ? undefined : why;
    },
  },
  'oversized-batch': { batchLimit: (profile) => RECORD_SERVICE_BATCH_LIMIT[profile] + 50 },
  'no-retry': { maxAttempts: () => 1 },
  'resends-acknowledged': { honourJournal: false },
};

export function apiBehaviour(fault?: FaultName): ApiBehaviour {
  return fault && isApiFault(fault) ? { ...CONFORMING_API, ...API_FAULT_HOOKS[fault] } : CONFORMING_API;
}

export function uploadBehaviour(fault?: FaultName): UploadBehaviour {
  return fault && isUploadFault(fault) ? { ...CONFORMING_UPLOAD, ...UPLOAD_FAULT_HOOKS[fault] } : CONFORMING_UPLOAD;
}
