/**
 * The reference supplier's fault catalogue: each entry breaks the supplier in exactly one way, so
 * that exactly one named check of the harness turns red. This file is data only; the hook that
 * implements each fault lives in behaviour.ts (a map keyed by the same names, so the compiler
 * insists every fault has exactly one hook).
 */

export type FaultTarget = 'api' | 'upload';

export interface FaultSpec {
  name: string;
  /** The requirement the fault violates (a WF-NFR id or the spec section that states the rule). */
  requirement: string;
  description: string;
  affects: FaultTarget;
}

export const FAULTS = [
  {
    name: 'no-correlation-echo',
    requirement: 'Producer standard: X-Correlation-ID response header (echoed on every response)',
    description: 'Responses carry no X-Correlation-ID header.',
    affects: 'api',
  },
  {
    name: 'virtual-medium',
    requirement: 'Producer standard: Appointment Consultation-Medium is FACE_TO_FACE, VIDEO_CONSULTATION or TELEPHONE',
    description: 'Every appointment has consultation medium VIRTUAL (deprecated, outside the three allowed codes).',
    affects: 'api',
  },
  {
    name: 'missing-portal-link',
    requirement: 'Producer standard: Appointment Extension-Portal-Link (required deep link)',
    description: 'Appointments are returned without their portal deep link extension.',
    affects: 'api',
  },
  {
    name: 'no-under16-check',
    requirement: 'WF-NFR-16 (403 forbidden UNDER_16_DENIED when the ID token birthdate is under 16)',
    description: 'Answers 200 with data for a patient whose ID token says they are under 16.',
    affects: 'api',
  },
  {
    name: 'no-nhs-crosscheck',
    requirement: 'WF-NFR-14 (request NHS number must equal the ID token nhs_number, else 401)',
    description: 'Serves the requested NHS number whatever patient the ID token belongs to.',
    affects: 'api',
  },
  {
    name: 'no-dob-crosscheck',
    requirement: 'WF-NFR-14 (demographic cross-check: ID token birthdate must match the date of birth held)',
    description: 'Serves a known patient even when the ID token birthdate differs from the one on record.',
    affects: 'api',
  },
  {
    name: 'accepts-any-bearer',
    requirement:
      'WF-NFR-14 system authentication (OAuth 2.0 client credentials; 401 processing without a valid bearer)',
    description: 'Any Authorization header, or none, is accepted on data requests.',
    affects: 'api',
  },
  {
    name: 'ignores-id-token-signature',
    requirement: 'WF-NFR-14 patient authentication (NHSD-ID-Token signature verified against the NHS login JWKS)',
    description:
      'The NHSD-ID-Token is decoded without checking its signature or algorithm (forged and alg:none tokens pass).',
    affects: 'api',
  },
  {
    name: 'accepts-p5',
    requirement: 'Producer standard NHSD-ID-Token: the patient must be authenticated to P9',
    description: 'ID tokens with identity_proofing_level P5 (or P0) are accepted.',
    affects: 'api',
  },
  {
    name: 'empty-200',
    requirement: 'WF-NFR-07 (no data: 200 with a searchset Bundle whose total is 0)',
    description: 'A patient with no data gets 200 with an empty body instead of a Bundle.',
    affects: 'api',
  },
  {
    name: 'wrong-content-type',
    requirement: 'Producer standard: responses are application/fhir+json',
    description: 'Responses are labelled application/json.',
    affects: 'api',
  },
  {
    name: 'total-mismatch',
    requirement: 'WF-NFR-07 / FHIR searchset: Bundle.total equals the number of matches returned',
    description: 'Bundle.total is one more than the number of entries.',
    affects: 'api',
  },
  {
    name: 'drops-cancelled',
    requirement: 'Producer standard inclusion rules: include cancelled appointments',
    description: 'Cancelled appointments are left out of the bundle.',
    affects: 'api',
  },
  {
    name: 'leaks-other-patient',
    requirement: "WF-NFR-14 / WF-NFR-17: only the requested patient's data is returned",
    description: 'One resource belonging to another pack patient is added to every bundle.',
    affects: 'api',
  },
  {
    name: 'pid-in-description',
    requirement: 'WF-NFR-17 (no personal identifiable data in names and descriptions)',
    description: "Resource descriptions include the patient's name and date of birth.",
    affects: 'api',
  },
  {
    name: 'error-not-operationoutcome',
    requirement: 'Producer standard 4XX/5XX: errors are FHIR OperationOutcome resources with the tabled codes',
    description: 'Errors are answered with a plain JSON object instead of an OperationOutcome.',
    affects: 'api',
  },
  {
    name: 'slow',
    requirement: 'WF-NFR-01 (400 ms at the 95th percentile)',
    description: 'Every data request takes an extra 450-600 ms.',
    affects: 'api',
  },
  {
    name: 'no-429',
    requirement: 'WF-NFR-03 (429 Too Many Requests above 60 TPS)',
    description: 'No rate limit: bursts past the limit are all served.',
    affects: 'api',
  },
  {
    name: 'no-504',
    requirement: 'WF-NFR-02 (504 Gateway Timeout after 9,000 ms)',
    description: 'Work that passes the deadline is still answered (late) instead of with a 504.',
    affects: 'api',
  },
  {
    name: 'trailing-slash-upload',
    requirement:
      'Record Service API: POST /records (the spec\'s environment table lists ".../records/"; a supplier reported INT answering POST /records/ with 200 and registering nothing)',
    description: 'The upload client posts to /records/ with a trailing slash.',
    affects: 'upload',
  },
  {
    name: 'sends-under16',
    requirement: 'WF-NFR-16 / Record Service inclusion rules: never send NHS numbers of patients under 16',
    description: 'The upload client sends under-16 patients along with the eligible ones.',
    affects: 'upload',
  },
  {
    name: 'oversized-batch',
    requirement:
      'WF-NFR-RS-03 / Record Service: at most 200 NHS numbers per call outside production (5,000 in production)',
    description: 'The upload client puts 50 more NHS numbers in a batch than the profile allows.',
    affects: 'upload',
  },
  {
    name: 'no-retry',
    requirement: 'WF-NFR-RS-02 / WF-NFR-RS-07 (replay what failed, with back-off)',
    description: 'A failed batch is given up after the first attempt.',
    affects: 'upload',
  },
  {
    name: 'resends-acknowledged',
    requirement: 'WF-NFR-RS-01 / WF-NFR-RS-03 (after a 200, mark the records uploaded and do not send them again)',
    description: 'The upload client ignores its journal and resends NHS numbers already acknowledged.',
    affects: 'upload',
  },
] as const satisfies readonly FaultSpec[];

export type FaultName = (typeof FAULTS)[number]['name'];
export type ApiFaultName = Extract<(typeof FAULTS)[number], { affects: 'api' }>['name'];
export type UploadFaultName = Extract<(typeof FAULTS)[number], { affects: 'upload' }>['name'];

export const FAULT_NAMES: readonly FaultName[] = FAULTS.map((f) => f.name);

export function isFaultName(v: unknown): v is FaultName {
  return typeof v === 'string' && (FAULT_NAMES as readonly string[]).includes(v);
}

export function faultSpec(name: FaultName): FaultSpec {
  return FAULTS.find((f) => f.name === name)!;
}

export function isApiFault(name: FaultName): name is ApiFaultName {
  return faultSpec(name).affects === 'api';
}

export function isUploadFault(name: FaultName): name is UploadFaultName {
  return faultSpec(name).affects === 'upload';
}

/** The fault table as markdown: docs/reference-supplier.md embeds exactly this (a test keeps them equal). */
export function renderFaultTable(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = FAULTS.map((f) => `| \`${f.name}\` | ${f.affects} | ${cell(f.description)} | ${cell(f.requirement)} |`);
  return ['| fault | affects | what changes | requirement it violates |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

/** The `--list-faults` text: one block per fault. */
export function renderFaultList(): string {
  const width = Math.max(...FAULTS.map((f) => f.name.length));
  return FAULTS.map(
    (f) => `${f.name.padEnd(width)}  [${f.affects}] ${f.description}\n${' '.repeat(width)}  violates: ${f.requirement}`,
  ).join('\n');
}
