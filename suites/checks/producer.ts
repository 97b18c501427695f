/**
 * The checks every producer endpoint shares, written once and parameterised by resource type:
 * GA-01..20 for /Appointment, DR-01..20 for /DocumentReference, TK-01..20 for /Task. Family
 * specific checks (consultation medium, deep links, cancelled appointments) live in ga.ts, dr.ts
 * and tk.ts and start at 21.
 */
import type { Bundle, FhirResource, ProducerResourceType } from '../../core/fhir';
import { FHIR_JSON, isOperationOutcome, PCA_URLS } from '../../core/fhir';
import { CLIENT_TIMEOUT_MS, deadlineProblem, PRODUCER_DEADLINE_MS } from '../../core/deadline';
import { CORRELATION_HEADER } from '../../core/http';
import { pidIn, type PackPatient } from '../../fixtures/pack';
import {
  type Check,
  type CheckContext,
  type Exchange,
  type Family,
  type Finding,
  type CheckVerdict,
  error,
  fail,
  judge,
  memo,
  pass,
  skip,
} from './check';
import { readProducerBundle } from '../../contracts/readings';
import { validatePayload, validateProducerBundle } from '../../contracts/validate';
import { patientLabel } from '../evidence/exchange-evidence';
import {
  MALFORMED_IDENTIFIERS,
  type MalformedIdentifier,
  type ProbeResult,
  type ProbeSpec,
  buildRequest,
  probe,
} from './probes';
import type { RequirementLevel } from './requirements';

export type ProducerFamily = Exclude<Family, 'RS'>;

const PLURAL: Record<ProducerResourceType, string> = {
  Appointment: 'appointments',
  DocumentReference: 'documents',
  Task: 'questionnaires (tasks)',
};

// ---------------------------------------------------------------------------------------------
// Shared pieces

export function checkId(family: ProducerFamily, n: number): string {
  return `${family}-${String(n).padStart(2, '0')}`;
}

/** The probe for the pack's patient with data for this endpoint, or why there is none. */
export function happySpec(ctx: CheckContext, type: ProducerResourceType): ProbeSpec | { unavailable: string } {
  const patient = ctx.roster.withData[type];
  if (!patient)
    return {
      unavailable: `the fixture pack has no eligible patient (16 or over, not sensitive or excluded) with ${PLURAL[type]}`,
    };
  return { label: `patient with ${PLURAL[type]}`, patient };
}

export function nothingSpec(ctx: CheckContext): ProbeSpec | { unavailable: string } {
  const patient = ctx.roster.withNothing;
  if (!patient) return { unavailable: 'the fixture pack has no eligible patient with nothing to show' };
  return { label: 'patient with nothing to show', patient };
}

async function run(
  ctx: CheckContext,
  type: ProducerResourceType,
  spec: ProbeSpec | { unavailable: string },
): Promise<ProbeResult> {
  if ('unavailable' in spec) return spec;
  return probe(ctx, type, spec);
}

/**
 * The 200 body as a Bundle in the harness's reading of the spec: a body that took another reading
 * the spec supports (docs/spec-errata.md) is judged by the rule checks exactly as its FHIR R4 twin;
 * the schema check (x-01) reports the reading as a warning.
 */
export function asBundle(ex: Exchange): Bundle | undefined {
  const j = ex.response.json as { resourceType?: unknown } | undefined;
  return j && typeof j === 'object' && j.resourceType === 'Bundle'
    ? (readProducerBundle(j).value as Bundle)
    : undefined;
}

export function resourcesOf(bundle: Bundle): Array<{ resource: FhirResource; pointer: string }> {
  return (bundle.entry ?? [])
    .map((e, i) => ({ resource: e?.resource, pointer: `/entry/${i}/resource` }))
    .filter((x) => x.resource && typeof x.resource === 'object');
}

export function excerpt(text: string, max = 160): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}...` : t || '(empty body)';
}

export function statusFinding(ex: Exchange, expected: string, hint: string): Finding {
  return {
    title: `HTTP ${ex.response.status} instead of ${expected}`,
    received: `${ex.response.status}: ${excerpt(ex.response.text)}`,
    expected,
    hint,
  };
}

/**
 * The bundle a check judges: the happy response parsed, or a skip explaining that the request the
 * schema check (XX-01) makes did not give one, so that only XX-01 reports that failure.
 */
async function happyBundle(
  ctx: CheckContext,
  family: ProducerFamily,
  type: ProducerResourceType,
): Promise<{ ex: Exchange; bundle: Bundle } | CheckVerdict> {
  const r = await run(ctx, type, happySpec(ctx, type));
  if ('unavailable' in r) return skip(r.unavailable);
  const bundle = asBundle(r.exchange);
  if (r.exchange.response.status !== 200 || !bundle) {
    return skip(
      `no Bundle to judge: the request for a patient with data answered ${r.exchange.response.status} (${excerpt(r.exchange.response.text, 80)}); ${checkId(family, 1)} reports it`,
      [r.exchange],
    );
  }
  return { ex: r.exchange, bundle };
}

function isVerdict(v: unknown): v is CheckVerdict {
  return typeof v === 'object' && v !== null && 'outcome' in v;
}

/** NHS number a resource says it belongs to, where the resource carries one. */
export function patientOf(resource: FhirResource): { value: string; pointer: string } | undefined {
  const r = resource as unknown as Record<string, unknown>;
  if (resource.resourceType === 'Appointment') {
    const parts = Array.isArray(r.participant)
      ? (r.participant as Array<{ actor?: { type?: string; identifier?: { value?: unknown } } }>)
      : [];
    const i = parts.findIndex((p) => p?.actor?.type === 'Patient');
    const v = i >= 0 ? parts[i]!.actor?.identifier?.value : undefined;
    return typeof v === 'string' ? { value: v, pointer: `/participant/${i}/actor/identifier/value` } : undefined;
  }
  const ref = (resource.resourceType === 'DocumentReference' ? r.subject : r.for) as
    { identifier?: { value?: unknown } } | undefined;
  const v = ref?.identifier?.value;
  const field = resource.resourceType === 'DocumentReference' ? 'subject' : 'for';
  return typeof v === 'string' ? { value: v, pointer: `/${field}/identifier/value` } : undefined;
}

/**
 * `Dermatology for Amelia Hartley, born 1972-07-24, BS1 6AA` ->
 * `Dermatology for [name] [name], born [date of birth], [postcode]`: where the PID sits, without it.
 */
export function withoutPid(text: string, p: PackPatient): string {
  let out = text;
  // Longest first, so a date is not half-replaced by a shorter match inside it.
  for (const m of pidIn(text, p).sort((a, b) => b.text.length - a.text.length))
    out = out.split(m.text).join(`[${m.kind}]`);
  return out;
}

/** Keys whose string values are names or descriptions a person reads (WF-NFR-17). */
const NAME_KEYS = new Set(['description', 'title', 'text']);

/** Every name or description in a resource, with its JSON pointer (narrative `div` excluded). */
export function namesIn(value: unknown, pointer = ''): Array<{ text: string; pointer: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => namesIn(v, `${pointer}/${i}`));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    typeof v === 'string'
      ? NAME_KEYS.has(k)
        ? [{ text: v, pointer: `${pointer}/${k}` }]
        : []
      : namesIn(v, `${pointer}/${k}`),
  );
}

export function isAbsoluteHttps(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    return new URL(v).protocol === 'https:';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The shared checks

/** The check's id in each producer family, written out so that `GA-16` is found where it is defined. */
type FamilyIds = Record<ProducerFamily, string>;

function ids(ga: string, dr: string, tk: string): FamilyIds {
  return { GA: ga, DR: dr, TK: tk };
}

interface Def {
  ids: FamilyIds;
  title: string;
  requirements: string[];
  /** MUST unless the rule is a SHOULD. */
  level?: RequirementLevel;
  description: string;
  fix: string;
  suite?: 'schema' | 'rules';
  optIn?: 'throttle';
  run: (ctx: CheckContext) => Promise<CheckVerdict>;
}

/** A check that sends one probe and expects one status (the 4xx table of the standard). */
function expectsStatus(
  type: ProducerResourceType,
  status: number,
  spec: (ctx: CheckContext) => ProbeSpec | { unavailable: string },
  hint: string,
  extra?: (ex: Exchange) => Finding[],
) {
  return async (ctx: CheckContext): Promise<CheckVerdict> => {
    const r = await run(ctx, type, spec(ctx));
    if ('unavailable' in r) return skip(r.unavailable);
    const ex = r.exchange;
    if (ex.response.status !== status) return fail([ex], [statusFinding(ex, String(status), hint)]);
    return judge([ex], extra ? extra(ex) : []);
  };
}

function withHappyPatient(
  ctx: CheckContext,
  type: ProducerResourceType,
  label: string,
  over: Partial<ProbeSpec>,
): ProbeSpec | { unavailable: string } {
  const h = happySpec(ctx, type);
  if ('unavailable' in h) return h;
  return { ...h, label, ...over };
}

export function sharedProducerChecks(family: ProducerFamily, type: ProducerResourceType): Check[] {
  const what = PLURAL[type];
  const defs: Def[] = [
    {
      ids: ids('GA-01', 'DR-01', 'TK-01'),
      suite: 'schema',
      title: `A patient with ${what} gets a searchset Bundle valid against the standard's schema`,
      requirements: ['producer:PS-SEARCHSET', 'producer:WF-NFR-12'],
      description: `GET ${type}?patient:identifier=<NHS number> for a pack patient with ${what} answers 200 with a FHIR searchset Bundle of ${type} resources that validates against the producer standard's schemas.`,
      fix: "Make the response match the standard's schema: each finding names the JSON pointer and what the schema requires there.",
      run: async (ctx) => {
        const r = await run(ctx, type, happySpec(ctx, type));
        if ('unavailable' in r) return skip(r.unavailable);
        const ex = r.exchange;
        if (ex.response.status !== 200)
          return fail(
            [ex],
            [
              statusFinding(
                ex,
                '200 with a Bundle',
                'a patient the supplier holds data for must get 200; check the credentials the supplier expects and the evidence body',
              ),
            ],
          );
        if (ex.response.json === undefined)
          return fail(
            [ex],
            [
              {
                title: 'the body is not JSON',
                received: excerpt(ex.response.text),
                expected: 'a FHIR searchset Bundle as JSON',
                hint: 'serialise the Bundle as JSON',
              },
            ],
          );
        const v = validateProducerBundle(type, ex.response.json);
        return judge(
          [ex],
          v.diagnostics.map((d) => ({
            title: `${d.pointer || '/'} ${d.message}`,
            pointer: d.pointer,
            expected: `schema rule "${d.rule}"`,
            hint: `see components/schemas/${type} in the producer standard; \`pca-harness validate\` explains the same rules offline`,
          })),
          undefined,
          v.warnings,
        );
      },
    },
    {
      ids: ids('GA-02', 'DR-02', 'TK-02'),
      title: 'Bundle.total equals the number of entries',
      requirements: ['producer:PS-SEARCHSET', 'producer:WF-NFR-07'],
      description:
        'Bundle.total counts the matches returned: it equals the number of entries (the aggregator reads total 0 as "no matches").',
      fix: 'Set Bundle.total to the number of entries in the Bundle.',
      run: async (ctx) => {
        const h = await happyBundle(ctx, family, type);
        if (isVerdict(h)) return h;
        const entries = h.bundle.entry?.length ?? 0;
        if (h.bundle.total === entries) return pass([h.ex], `total ${entries}`);
        return fail(
          [h.ex],
          [
            {
              title: 'Bundle.total does not equal the number of entries',
              pointer: '/total',
              received: JSON.stringify(h.bundle.total ?? null),
              expected: String(entries),
              hint: 'set total from the entries you return, after every filter (exclusion rules, paging) has been applied',
            },
          ],
        );
      },
    },
    {
      ids: ids('GA-03', 'DR-03', 'TK-03'),
      title: `A patient with no ${what} gets 200 and a Bundle with total 0`,
      requirements: ['producer:WF-NFR-07', 'producer:PS-NO-DATA'],
      description:
        'If no data is available for the patient, respond with HTTP 200 and a FHIR searchset Bundle whose total is 0 and which has no entries.',
      fix: 'For a patient with nothing to show, answer 200 with {"resourceType":"Bundle","type":"searchset","total":0} (no 404, no empty body).',
      run: async (ctx) => {
        const r = await run(ctx, type, nothingSpec(ctx));
        if ('unavailable' in r) return skip(r.unavailable);
        const ex = r.exchange;
        if (ex.response.status !== 200)
          return fail(
            [ex],
            [statusFinding(ex, '200', 'no data is not an error: answer 200 with an empty searchset Bundle')],
          );
        const b = asBundle(ex);
        if (!b)
          return fail(
            [ex],
            [
              {
                title: 'the body is not a FHIR Bundle',
                received: excerpt(ex.response.text),
                expected: '{"resourceType":"Bundle","type":"searchset","total":0}',
                hint: 'answer with an empty searchset Bundle, not an empty body or another shape',
              },
            ],
          );
        const findings: Finding[] = [];
        if (b.type !== 'searchset')
          findings.push({
            title: 'Bundle.type is not searchset',
            pointer: '/type',
            received: JSON.stringify(b.type ?? null),
            expected: '"searchset"',
            hint: 'a search answers with a searchset Bundle',
          });
        if (b.total !== 0)
          findings.push({
            title: 'Bundle.total is not 0',
            pointer: '/total',
            received: JSON.stringify(b.total ?? null),
            expected: '0',
            hint: 'total 0 is how the aggregator knows there are no matches (WF-NFR-07)',
          });
        if ((b.entry?.length ?? 0) !== 0)
          findings.push({
            title: 'the Bundle has entries for a patient with nothing to show',
            pointer: '/entry',
            received: `${b.entry!.length} entries`,
            expected: 'no entries',
            hint: "return only this patient's records, after the exclusion rules",
          });
        return judge([ex], findings);
      },
    },
    {
      ids: ids('GA-04', 'DR-04', 'TK-04'),
      title: 'Responses are application/fhir+json',
      requirements: ['producer:PS-FHIR-JSON'],
      description: 'The 200 response declares Content-Type application/fhir+json.',
      fix: 'Send Content-Type: application/fhir+json (optionally with ; charset=utf-8) on FHIR responses.',
      run: async (ctx) => {
        const r = await run(ctx, type, happySpec(ctx, type));
        if ('unavailable' in r) return skip(r.unavailable);
        const ex = r.exchange;
        if (ex.response.status !== 200)
          return skip(
            `the request for a patient with data answered ${ex.response.status}; ${checkId(family, 1)} reports it`,
            [ex],
          );
        const ct = ex.response.headers['content-type'];
        const media = ct?.split(';')[0]?.trim().toLowerCase();
        if (media === FHIR_JSON) return pass([ex]);
        return fail(
          [ex],
          [
            {
              title: 'wrong Content-Type',
              received: ct ?? '(no Content-Type header)',
              expected: FHIR_JSON,
              hint: 'FHIR JSON has its own media type; application/json is not it',
            },
          ],
        );
      },
    },
    {
      ids: ids('GA-05', 'DR-05', 'TK-05'),
      title: 'X-Correlation-ID is echoed back',
      requirements: ['producer:PS-CORRELATION-ID', 'producer:WF-NFR-09'],
      description:
        'The response carries the X-Correlation-ID the request sent, unchanged (on success and on errors), so a call can be traced across the aggregator and the supplier.',
      fix: 'Copy the X-Correlation-ID request header onto every response, and log it with the request.',
      run: async (ctx) => {
        const probes = [
          happySpec(ctx, type),
          withHappyPatient(ctx, type, 'missing patient:identifier', { identifier: 'missing' }),
        ];
        const exchanges: Exchange[] = [];
        const findings: Finding[] = [];
        for (const s of probes) {
          const r = await run(ctx, type, s);
          if ('unavailable' in r) return skip(r.unavailable, exchanges);
          const ex = r.exchange;
          exchanges.push(ex);
          const sent = ex.request.headers[CORRELATION_HEADER];
          const got = ex.response.headers[CORRELATION_HEADER.toLowerCase()];
          if (got !== sent) {
            findings.push({
              title: `X-Correlation-ID not echoed on the ${ex.response.status} response (${ex.request.label})`,
              received: got ?? '(no X-Correlation-ID header)',
              expected: sent,
              hint: "echo the request's X-Correlation-ID header exactly",
            });
          }
        }
        return judge(exchanges, findings);
      },
    },
    {
      ids: ids('GA-06', 'DR-06', 'TK-06'),
      title: '400 when patient:identifier is missing',
      requirements: ['producer:PS-PATIENT-IDENTIFIER'],
      description:
        'A request without the patient:identifier search parameter is answered 400 (OperationOutcome code exception, "patient:identifier is required").',
      fix: 'Validate the query: when patient:identifier is absent, answer 400 before doing anything else.',
      run: expectsStatus(
        type,
        400,
        (ctx) => withHappyPatient(ctx, type, 'missing patient:identifier', { identifier: 'missing' }),
        'answer 400 when patient:identifier is absent',
      ),
    },
    {
      ids: ids('GA-07', 'DR-07', 'TK-07'),
      title: '400 when patient:identifier is not a valid NHS number',
      requirements: ['producer:PS-PATIENT-IDENTIFIER'],
      description:
        'patient:identifier must be `https://fhir.nhs.uk/Id/nhs-number|` followed by a valid NHS number; anything else is answered 400.',
      fix: 'Check patient:identifier against ^https://fhir.nhs.uk/Id/nhs-number\\|[1-9][0-9]{9}$ and the Modulus 11 check digit; answer 400 when it fails.',
      run: expectsStatus(
        type,
        400,
        (ctx) => withHappyPatient(ctx, type, 'invalid patient:identifier', { identifier: 'invalid' }),
        'answer 400 when patient:identifier is not system|valid NHS number',
      ),
    },
    {
      ids: ids('GA-08', 'DR-08', 'TK-08'),
      title: '401 without a bearer token',
      requirements: ['producer:PS-OAUTH', 'producer:WF-NFR-14'],
      description:
        'A request with no Authorization header is answered 401: every call must carry an OAuth 2.0 access token from the client credentials flow.',
      fix: 'Require "Authorization: Bearer <access token>" on every data request and answer 401 without it.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'no bearer token', { access: 'none' }),
        'reject requests without an access token with 401',
      ),
    },
    {
      ids: ids('GA-09', 'DR-09', 'TK-09'),
      title: '401 with an invalid bearer token',
      requirements: ['producer:PS-OAUTH', 'producer:WF-NFR-14'],
      description: 'A request whose bearer token the supplier did not issue is answered 401.',
      fix: 'Validate the access token (issued by your token endpoint, not expired) and answer 401 otherwise; never accept any bearer.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'invalid bearer token', { access: 'invalid' }),
        'validate the access token and answer 401 for one you did not issue',
      ),
    },
    {
      ids: ids('GA-10', 'DR-10', 'TK-10'),
      title: '401 for a forged NHS login ID token',
      requirements: ['producer:PS-ID-TOKEN', 'producer:WF-NFR-14'],
      description:
        'An NHSD-ID-Token whose signature does not verify against the NHS login JWKS (signed with another key under the real kid) is answered 401.',
      fix: 'Verify the NHSD-ID-Token signature (RS512) against the NHS login JWKS; do not just decode it.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'forged ID token', { idToken: 'forged' }),
        'verify the ID token signature against the NHS login JWKS',
      ),
    },
    {
      ids: ids('GA-11', 'DR-11', 'TK-11'),
      title: '401 for an expired NHS login ID token',
      requirements: ['producer:PS-ID-TOKEN', 'producer:WF-NFR-14'],
      description: 'An NHSD-ID-Token whose exp is in the past is answered 401.',
      fix: 'Check exp (with a small clock skew allowance) and answer 401 for expired ID tokens.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'expired ID token', { idToken: 'expired' }),
        'reject expired ID tokens',
      ),
    },
    {
      ids: ids('GA-12', 'DR-12', 'TK-12'),
      title: '401 for an ID token from another issuer',
      requirements: ['producer:PS-ID-TOKEN', 'producer:WF-NFR-14'],
      description:
        'An NHSD-ID-Token with an iss other than the configured NHS login issuer (validly signed) is answered 401.',
      fix: 'Check iss equals the NHS login issuer configured for the environment.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'ID token from another issuer', { idToken: 'other-issuer' }),
        'check the ID token issuer',
      ),
    },
    {
      ids: ids('GA-13', 'DR-13', 'TK-13'),
      title: '401 for an ID token for another NHS number',
      requirements: ['producer:PS-ID-TOKEN', 'producer:WF-NFR-14'],
      description:
        'A valid ID token whose nhs_number is not the requested patient (same birth date, so only the NHS number differs) is answered 401: "NHS number in request doesn\'t match NHS number in NHS login account".',
      fix: "Compare the ID token's nhs_number with the NHS number in patient:identifier and answer 401 when they differ.",
      run: expectsStatus(
        type,
        401,
        (ctx) => {
          const h = happySpec(ctx, type);
          if ('unavailable' in h) return h;
          const other = ctx.roster.other(h.patient);
          if (!other)
            return { unavailable: 'the fixture pack has no second eligible patient to borrow an ID token from' };
          return { ...h, label: 'ID token for another NHS number', idToken: 'other-patient', other };
        },
        'cross-check the ID token nhs_number against patient:identifier',
      ),
    },
    {
      ids: ids('GA-14', 'DR-14', 'TK-14'),
      title: "401 for an ID token whose birth date is not the patient's",
      requirements: ['producer:WF-NFR-14'],
      description:
        'WF-NFR-14: the portal cross-checks the NHS number in the request against the date of birth in the ID token before returning data; a token for the right NHS number with another birth date is answered 401.',
      fix: 'Compare the ID token birthdate with the date of birth you hold for the patient and answer 401 when they differ.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'ID token with another birth date', { idToken: 'other-birthdate' }),
        'cross-check the ID token birthdate with the date of birth on record',
      ),
    },
    {
      ids: ids('GA-15', 'DR-15', 'TK-15'),
      title: '401 for an ID token proofed below P9',
      requirements: ['producer:PS-ID-TOKEN'],
      description: 'The NHSD-ID-Token must show the patient authenticated to P9; a P5 token is answered 401.',
      fix: 'Check identity_proofing_level is P9 and answer 401 otherwise.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'ID token proofed to P5', { idToken: 'below-p9' }),
        'require identity_proofing_level P9',
      ),
    },
    {
      ids: ids('GA-16', 'DR-16', 'TK-16'),
      title: '403 UNDER_16_DENIED for a patient under 16',
      requirements: ['producer:WF-NFR-16', 'producer:PS-UNDER-16'],
      description:
        "When the ID token's birth date makes the patient under 16, the answer is 403 with an OperationOutcome (code forbidden) whose diagnostics are UNDER_16_DENIED.",
      fix: 'Compute the age from the ID token birthdate on the day of the request; under 16 answer 403 with diagnostics UNDER_16_DENIED and no data.',
      run: expectsStatus(
        type,
        403,
        (ctx) => {
          const p = ctx.roster.under16;
          return p
            ? { label: 'patient under 16', patient: p }
            : { unavailable: 'the fixture pack has no patient under 16' };
        },
        'refuse patients under 16 with 403 UNDER_16_DENIED',
        (ex) =>
          ex.response.text.includes('UNDER_16_DENIED')
            ? []
            : [
                {
                  title: 'the 403 does not say UNDER_16_DENIED',
                  received: excerpt(ex.response.text),
                  expected: 'diagnostics "UNDER_16_DENIED"',
                  hint: 'put UNDER_16_DENIED in the OperationOutcome issue diagnostics',
                },
              ],
      ),
    },
    {
      ids: ids('GA-17', 'DR-17', 'TK-17'),
      title: 'Errors are FHIR OperationOutcome resources',
      requirements: ['producer:PS-OPERATION-OUTCOME'],
      description:
        'Error responses (400, 401, 403 here) carry a FHIR OperationOutcome with at least one issue (severity, code) explaining what went wrong; the aggregator reports them per source.',
      fix: 'Answer every error with {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"...","diagnostics":"..."}]}.',
      run: async (ctx) => {
        const specs = [
          withHappyPatient(ctx, type, 'missing patient:identifier', { identifier: 'missing' }),
          withHappyPatient(ctx, type, 'no bearer token', { access: 'none' }),
          ...(ctx.roster.under16 ? [{ label: 'patient under 16', patient: ctx.roster.under16 }] : []),
        ];
        const exchanges: Exchange[] = [];
        const findings: Finding[] = [];
        const warnings: Finding[] = [];
        for (const s of specs) {
          const r = await run(ctx, type, s);
          if ('unavailable' in r) continue;
          const ex = r.exchange;
          if (ex.response.status < 400) continue;
          exchanges.push(ex);
          const body = ex.response.json;
          if (!isOperationOutcome(body)) {
            findings.push({
              title: `the ${ex.response.status} body is not an OperationOutcome (${ex.request.label})`,
              received: excerpt(ex.response.text),
              expected: '{"resourceType":"OperationOutcome","issue":[...]}',
              hint: 'return errors as FHIR OperationOutcome resources',
            });
            continue;
          }
          const v = validatePayload('operation-outcome', body);
          for (const d of v.diagnostics)
            findings.push({
              title: `${d.message} (${ex.request.label})`,
              pointer: d.pointer,
              hint: 'see the OperationOutcome schema in the producer standard',
            });
          for (const w of v.warnings ?? []) warnings.push({ ...w, title: `${w.title} (${ex.request.label})` });
        }
        if (exchanges.length === 0)
          return skip(
            'no error response to judge: none of the error probes was answered with an error status (the checks for those statuses report it)',
          );
        return judge(exchanges, findings, `${exchanges.length} error response(s) judged`, warnings);
      },
    },
    {
      ids: ids('GA-18', 'DR-18', 'TK-18'),
      title: 'Nothing returned belongs to another patient',
      requirements: ['producer:PS-PATIENT-SCOPE', 'producer:WF-NFR-14'],
      description:
        "Every resource returned for patient:identifier=N belongs to N: it names no other NHS number, and is none of another pack patient's records.",
      fix: 'Filter by the requested NHS number in the query itself, and never add records from a cache or another request.',
      run: async (ctx) => {
        const exchanges: Exchange[] = [];
        const findings: Finding[] = [];
        const owners = await ownersOf(ctx, type);
        for (const spec of [happySpec(ctx, type), nothingSpec(ctx)]) {
          const r = await run(ctx, type, spec);
          if ('unavailable' in r) continue;
          const b = asBundle(r.exchange);
          if (r.exchange.response.status !== 200 || !b) continue;
          exchanges.push(r.exchange);
          const mine = r.exchange.request.patient!;
          for (const { resource, pointer } of resourcesOf(b)) {
            const named = patientOf(resource);
            if (named && named.value !== mine.nhsNumber) {
              const who = ctx.pack.get(named.value);
              findings.push({
                title: `${resource.resourceType}/${resource.id ?? '?'} belongs to another NHS number`,
                pointer: `${pointer}${named.pointer}`,
                received: who ? patientLabel(who) : `NHS number ${named.value}`,
                expected: `the requested ${patientLabel(mine)}`,
                hint: "return only the requested patient's records",
              });
              continue;
            }
            const owner = resource.id ? owners.get(resource.id) : undefined;
            if (owner && owner.nhsNumber !== mine.nhsNumber) {
              findings.push({
                title: `${resource.resourceType}/${resource.id} is another pack patient's record`,
                pointer: `${pointer}/id`,
                received: `a record of ${patientLabel(owner)}`,
                expected: `records of the requested ${patientLabel(mine)} only`,
                hint: "return only the requested patient's records",
              });
            }
          }
        }
        if (exchanges.length === 0)
          return skip(`no Bundle to judge (see ${checkId(family, 1)} and ${checkId(family, 3)})`);
        return judge(exchanges, findings);
      },
    },
    {
      ids: ids('GA-19', 'DR-19', 'TK-19'),
      title: 'Names and descriptions carry no personal identifiable data',
      requirements: ['producer:WF-NFR-17'],
      description:
        "WF-NFR-17: names and descriptions sent to the aggregator (every description, title and text in the resources) contain no personal identifiable data: not the patient's name, date of birth in any common format, NHS number (with or without spaces), address lines or any postcode.",
      fix: 'Build names and descriptions from the specialty and the document or questionnaire type only (e.g. "Dermatology appointment letter"); never from patient demographics or the address.',
      run: async (ctx) => {
        const h = await happyBundle(ctx, family, type);
        if (isVerdict(h)) return h;
        const patient = h.ex.request.patient!;
        const findings: Finding[] = [];
        for (const { resource, pointer } of resourcesOf(h.bundle)) {
          for (const name of namesIn(resource)) {
            const kinds = [...new Set(pidIn(name.text, patient).map((m) => m.kind))];
            if (kinds.length === 0) continue;
            // The report shows where the PID sits without repeating it.
            findings.push({
              title: `${resource.resourceType}${name.pointer.replace(/\//g, '.').replace(/\.(\d+)/g, '[$1]')} contains ${kinds.join(', ')}`,
              pointer: `${pointer}${name.pointer}`,
              received: withoutPid(name.text, patient),
              expected: 'a name without name, date of birth, NHS number, address or postcode',
              hint: 'describe the record, not the person',
            });
          }
        }
        return judge([h.ex], findings);
      },
    },
    {
      ids: ids('GA-20', 'DR-20', 'TK-20'),
      optIn: 'throttle',
      title: '429 Too Many Requests above 60 TPS',
      requirements: ['producer:WF-NFR-03'],
      description: `WF-NFR-03: each API limits requests and answers 429 at 60 TPS. The check sends a short burst of ${THROTTLE_BURST} concurrent requests (opt-in: --include-throttle) and expects at least one 429. A burst whose answers did not all come back within one second proves nothing (no second is known to have held more than 60 requests): it is tried again, up to ${THROTTLE_ATTEMPTS} times, then the check skips as inconclusive, never fails.`,
      fix: 'Put a rate limiter in front of the endpoint that answers 429 (with an OperationOutcome and Retry-After) above 60 requests per second.',
      run: (ctx) => throttleBurst(ctx, family, type),
    },
    {
      ids: ids('GA-30', 'DR-30', 'TK-30'),
      title: '401 without an NHSD-ID-Token',
      requirements: ['producer:PS-ID-TOKEN', 'producer:WF-NFR-14'],
      description:
        'NHSD-ID-Token is a required header: a request with a valid bearer token and patient:identifier but no ID token is answered 401, because the portal cannot cross-check the patient without it.',
      fix: 'Require the NHSD-ID-Token header on every data request and answer 401 (OperationOutcome code processing) without it.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'no NHSD-ID-Token', { idToken: 'none' }),
        'a request without NHSD-ID-Token must not be served: answer 401',
      ),
    },
    {
      ids: ids('GA-31', 'DR-31', 'TK-31'),
      title: '400 for every malformed form of patient:identifier',
      requirements: ['producer:PS-PATIENT-IDENTIFIER'],
      description: `patient:identifier must be \`https://fhir.nhs.uk/Id/nhs-number|\` and a valid NHS number, given once. Each malformed form is probed on its own and must be answered 400: ${Object.values(MALFORMED_IDENTIFIERS).join('; ')}.`,
      fix: 'Validate patient:identifier fully before anything else: given exactly once, the system https://fhir.nhs.uk/Id/nhs-number, ten digits not starting with 0, and the Modulus 11 check digit; answer 400 (OperationOutcome code exception) when any part fails.',
      run: async (ctx) => {
        const exchanges: Exchange[] = [];
        const findings: Finding[] = [];
        for (const [form, label] of Object.entries(MALFORMED_IDENTIFIERS) as Array<[MalformedIdentifier, string]>) {
          const r = await run(
            ctx,
            type,
            withHappyPatient(ctx, type, `patient:identifier: ${label}`, { identifier: form }),
          );
          if ('unavailable' in r) return skip(r.unavailable, exchanges);
          exchanges.push(r.exchange);
          if (r.exchange.response.status !== 400)
            findings.push({
              ...statusFinding(r.exchange, '400', `answer 400 for ${label}`),
              title: `HTTP ${r.exchange.response.status} instead of 400 for ${label}`,
            });
        }
        return judge(exchanges, findings, `${exchanges.length} malformed forms refused with 400`);
      },
    },
    {
      ids: ids('GA-32', 'DR-32', 'TK-32'),
      title: '401 for an ID token issued to another client (aud)',
      requirements: ['producer:PS-ID-TOKEN'],
      description:
        'OpenID Connect Core 3.1.3.7 (3): the ID token aud must contain the client id the tokens are issued to (the NHS App). A validly signed token for the right patient whose aud is another client is answered 401.',
      fix: "Check that the ID token's aud contains the NHS App's client id (configured per environment) and answer 401 otherwise.",
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'ID token issued to another client', { idToken: 'other-audience' }),
        'check the ID token audience (aud)',
      ),
    },
    {
      ids: ids('GA-33', 'DR-33', 'TK-33'),
      title: '401 for an ID token authorised for another client (azp)',
      requirements: ['producer:PS-ID-TOKEN'],
      level: 'SHOULD',
      description:
        'OpenID Connect Core 3.1.3.7 (4, 5): when the ID token names several audiences the relying party SHOULD check that azp is present and is the expected client. A token whose aud lists the NHS App and another client, with azp the other client, is answered 401.',
      fix: 'When aud holds more than one value, or azp is present, require azp to equal the NHS App client id.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'ID token authorised for another client', { idToken: 'other-azp' }),
        'check the authorised party (azp) of an ID token with several audiences',
      ),
    },
    {
      ids: ids('GA-34', 'DR-34', 'TK-34'),
      title: '401 for an unsigned ID token (alg none)',
      requirements: ['producer:PS-ID-TOKEN'],
      description:
        'OpenID Connect Core 3.1.3.7 (6, 7): the alg must be the one the issuer signs with (RS512 for NHS login) and the signature must verify. A token with alg "none" and no signature is answered 401. (The nonce, acr and auth_time steps do not apply: the portal did not send the authentication request; iat freshness is a MAY.)',
      fix: 'Accept only RS512 (pass the allowed algorithms to your JWT library); never decide from the token header whether to verify it.',
      run: expectsStatus(
        type,
        401,
        (ctx) => withHappyPatient(ctx, type, 'unsigned ID token (alg none)', { idToken: 'unsigned' }),
        'refuse ID tokens whose alg is not RS512',
      ),
    },
    {
      ids: ids('GA-35', 'DR-35', 'TK-35'),
      title: "Error issue codes are the 4XX table's",
      requirements: ['producer:PS-OPERATION-OUTCOME'],
      description:
        "The standard's 4XX table gives each error an issue code: 400 exception (FHIR's own code for a bad parameter, invalid, is accepted too), 401 processing, 403 forbidden, 429 TOO_MANY_REQUESTS (its example says exception). The standard also says it does not mandate the body of a 4xx, so a right status with another code is a warning, never a failure. (429 is not probed here: the burst that provokes it is opt-in.)",
      fix: 'Use the issue codes of the 4XX table: exception for 400, processing for 401, forbidden for 403.',
      run: async (ctx) => {
        const specs = [
          withHappyPatient(ctx, type, 'missing patient:identifier', { identifier: 'missing' }),
          withHappyPatient(ctx, type, 'no bearer token', { access: 'none' }),
          ...(ctx.roster.under16 ? [{ label: 'patient under 16', patient: ctx.roster.under16 }] : []),
        ];
        const exchanges: Exchange[] = [];
        const warnings: Finding[] = [];
        for (const s of specs) {
          const r = await run(ctx, type, s);
          if ('unavailable' in r) continue;
          const ex = r.exchange;
          const accepted = ISSUE_CODES[ex.response.status];
          // Wrong statuses and non-OperationOutcome bodies are other checks' findings.
          if (!accepted || !isOperationOutcome(ex.response.json)) continue;
          exchanges.push(ex);
          const code = ex.response.json.issue?.[0]?.code;
          if (!accepted.includes(code ?? ''))
            warnings.push({
              title: `HTTP ${ex.response.status} with issue code ${JSON.stringify(code ?? null)} (${ex.request.label})`,
              pointer: '/issue/0/code',
              received: String(code ?? '(none)'),
              expected: accepted.join(' or '),
              hint: `the 4XX table gives ${accepted[0]} for ${ex.response.status}; the standard does not mandate error bodies, so this passes, but ${accepted[0]} is what the aggregator's triage expects`,
            });
        }
        if (exchanges.length === 0)
          return skip(
            `no error response with an OperationOutcome to judge (${checkId(family, 6)}, ${checkId(family, 8)}, ${checkId(family, 16)} and ${checkId(family, 17)} report why)`,
          );
        return judge(exchanges, [], `${exchanges.length} error response(s) judged`, warnings);
      },
    },
    {
      ids: ids('GA-37', 'DR-37', 'TK-37'),
      title: 'Deep links carry the MIv2 tracking parameters (when the supplier reports MIv2 events)',
      requirements: ['producer:PS-MIV2-TRACKING'],
      description:
        "For portals that send Wayfinder events with the MIv2 specification, each deep link carries extSystemName (the portal's name) and trackingId equal to the X-Correlation-ID of the aggregator's request. Judged only with --miv2; a link without them is a warning, since the standard makes them a condition of MIv2 reporting rather than of the API.",
      fix: 'Append &extSystemName=<your portal name>&trackingId=<the request X-Correlation-ID> to every deep link you return.',
      run: async (ctx) => {
        if (!ctx.reportsMiv2Events)
          return skip('the supplier does not declare that it reports MIv2 events (run with --miv2 if it does)');
        const h = await happyBundle(ctx, family, type);
        if (isVerdict(h)) return h;
        const sent = h.ex.request.headers[CORRELATION_HEADER];
        const warnings: Finding[] = [];
        let n = 0;
        for (const { resource, pointer } of resourcesOf(h.bundle)) {
          for (const link of deepLinksOf(resource)) {
            n++;
            let params: URLSearchParams;
            try {
              params = new URL(link.url).searchParams;
            } catch {
              continue; // Not a URL at all: the deep-link checks report it.
            }
            const system = params.get('extSystemName');
            const tracking = params.get('trackingId') ?? params.get('trackingid');
            const missing = [!system ? 'extSystemName' : '', tracking !== sent ? 'trackingId' : ''].filter(Boolean);
            if (missing.length)
              warnings.push({
                title: `${resource.resourceType}/${resource.id ?? '?'} deep link lacks ${missing.join(' and ')}`,
                pointer: `${pointer}${link.pointer}`,
                received: `extSystemName=${system ?? '(none)'}, trackingId=${tracking ?? '(none)'}`,
                expected: `extSystemName=<portal name>, trackingId=${sent ?? '(the request X-Correlation-ID)'}`,
                hint: 'MIv2 reporting ties a jump-off to the aggregator request through trackingId = X-Correlation-ID',
              });
          }
        }
        if (n === 0) return skip('the Bundle holds no deep links to judge', [h.ex]);
        return judge([h.ex], [], `${n} deep link(s) judged`, warnings);
      },
    },
  ];
  return defs.map((d) => ({
    id: d.ids[family],
    title: d.title,
    family,
    requirements: d.requirements,
    level: d.level ?? 'MUST',
    endpoint: type,
    suite: d.suite ?? 'rules',
    description: d.description,
    fix: d.fix,
    ...(d.optIn ? { optIn: d.optIn } : {}),
    run: d.run,
  }));
}

/** The deep links a resource carries, by resource type (the standard puts each in its own place). */
export function deepLinksOf(resource: FhirResource): Array<{ url: string; pointer: string }> {
  const r = resource as unknown as Record<string, unknown>;
  if (resource.resourceType === 'Appointment') {
    const ext = Array.isArray(r.extension) ? (r.extension as Array<{ url?: unknown; valueUrl?: unknown }>) : [];
    return ext.flatMap((e, i) =>
      e.url === PCA_URLS.portalLink && typeof e.valueUrl === 'string'
        ? [{ url: e.valueUrl, pointer: `/extension/${i}/valueUrl` }]
        : [],
    );
  }
  if (resource.resourceType === 'DocumentReference') {
    const content = Array.isArray(r.content) ? (r.content as Array<{ attachment?: { url?: unknown } }>) : [];
    return content.flatMap((c, i) =>
      typeof c?.attachment?.url === 'string'
        ? [{ url: c.attachment.url, pointer: `/content/${i}/attachment/url` }]
        : [],
    );
  }
  const ref = (r.reasonReference as { reference?: unknown } | undefined)?.reference;
  return typeof ref === 'string' ? [{ url: ref, pointer: '/reasonReference/reference' }] : [];
}

/** The 4XX table's issue code for each status (first), and the other codes a reading of the spec supports. */
const ISSUE_CODES: Record<number, readonly string[]> = {
  400: ['exception', 'invalid'],
  401: ['processing'],
  403: ['forbidden'],
  429: ['TOO_MANY_REQUESTS', 'exception', 'throttled'],
};

/**
 * Checks that judge what the run as a whole observed, so each family lists them after its own
 * checks: XX-36, the WF-NFR-02 deadline, over every request the run made to the endpoint.
 */
export function closingProducerChecks(family: ProducerFamily, type: ProducerResourceType): Check[] {
  const id = ids('GA-36', 'DR-36', 'TK-36')[family];
  return [
    {
      id,
      title: 'No answer after 9,000 ms other than a 504 with an OperationOutcome',
      family,
      requirements: ['producer:WF-NFR-02'],
      level: 'MUST',
      endpoint: type,
      suite: 'rules',
      description: `WF-NFR-02: each API responds with 504 Gateway Timeout after ${PRODUCER_DEADLINE_MS.toLocaleString('en-GB')} ms. Observed passively on every request this run sent to the endpoint (the harness waits up to ${CLIENT_TIMEOUT_MS.toLocaleString('en-GB')} ms, so a late answer is seen): any answer that arrived after the deadline must be a 504 with an OperationOutcome. The note names the slowest answer.`,
      fix: `Put a ${PRODUCER_DEADLINE_MS.toLocaleString('en-GB')} ms deadline on each request's work and answer 504 with {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"Gateway Timeout"}]} when it passes; drop the late result.`,
      run: async (ctx) => {
        const base = ctx.endpoints[type];
        if (!base) return skip(`the supplier offers no ${type} endpoint in this run`);
        const mine = (ctx.observed ?? []).filter((ex) => ex.request.url.split('?')[0] === base.split('?')[0]);
        if (mine.length === 0) return skip(`no request was sent to ${type} in this run, so no answer to time`);
        const findings: Finding[] = [];
        const late: Exchange[] = [];
        for (const ex of mine) {
          const problem = deadlineProblem({
            status: ex.response.status,
            latencyMs: ex.response.latencyMs,
            operationOutcome: isOperationOutcome(ex.response.json),
          });
          if (!problem) continue;
          late.push(ex);
          findings.push({
            title: `${problem} (${ex.request.label})`,
            received: `${ex.response.status}: ${excerpt(ex.response.text, 80)}`,
            expected: `504 with an OperationOutcome once ${PRODUCER_DEADLINE_MS.toLocaleString('en-GB')} ms have passed`,
            hint: 'enforce the 9,000 ms deadline in the supplier: answer 504 rather than a late result',
          });
        }
        const slowest = mine.reduce((a, b) => (b.response.latencyMs > a.response.latencyMs ? b : a));
        const note = `${mine.length} answer(s) timed; slowest ${Math.round(slowest.response.latencyMs)} ms (${slowest.request.label}, HTTP ${slowest.response.status})`;
        return judge(late.length ? late : [slowest], findings, note);
      },
    },
  ];
}

/** Every resource id the pack holds for `type`, with the patient it belongs to. */
function ownersOf(ctx: CheckContext, type: ProducerResourceType): Promise<Map<string, PackPatient>> {
  return memo(ctx, `owners|${type}`, async () => {
    const m = new Map<string, PackPatient>();
    for (const p of ctx.pack.patients) {
      for (const b of [p.expected[type], p.withheld?.[type]]) {
        for (const e of b?.entry ?? []) if (e.resource?.id) m.set(e.resource.id, p);
      }
    }
    return m;
  });
}

/** Bounded: one burst, every request at once, then stop; the whole check takes well under a second locally. */
export const THROTTLE_BURST = 80;

/** At most this many bursts: a burst that could not be delivered within one second proves nothing. */
export const THROTTLE_ATTEMPTS = 3;

async function throttleBurst(
  ctx: CheckContext,
  family: ProducerFamily,
  type: ProducerResourceType,
): Promise<CheckVerdict> {
  const h = happySpec(ctx, type);
  if ('unavailable' in h) return skip(h.unavailable);
  const template = await buildRequest(ctx, type, { ...h, label: 'throttle burst' });
  if ('unavailable' in template) return skip(template.unavailable);
  const tried: string[] = [];
  for (let attempt = 1; attempt <= THROTTLE_ATTEMPTS; attempt++) {
    const started = performance.now();
    const settled = await Promise.allSettled(
      Array.from({ length: THROTTLE_BURST }, () => ctx.transport({ ...template, unpaced: true })),
    );
    const seconds = (performance.now() - started) / 1000;
    const responses = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    if (responses.length === 0)
      return error(`every request of the burst failed: ${String((settled[0] as PromiseRejectedResult).reason)}`);
    const counts = new Map<number, number>();
    for (const r of responses) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const summary = [...counts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${n} x ${s}`)
      .join(', ');
    const first429 = responses.find((r) => r.status === 429);
    const shown = first429 ?? responses[responses.length - 1]!;
    const ex: Exchange = {
      request: { ...template, label: `burst of ${THROTTLE_BURST} in ${seconds.toFixed(2)} s` },
      response: shown,
    };
    if (first429) return pass([ex], `${summary} in ${seconds.toFixed(2)} s`);
    // Every answer of the burst came back within one second, so more than 60 requests arrived within one
    // second: the supplier had to throttle. A slower burst (a busy machine, a slow link) may have stayed
    // under 60 in every second, which the standard allows: try again, and never fail on it.
    if (responses.length > 60 && seconds <= 1)
      return fail(
        [ex],
        [
          {
            title: `no 429 in a burst of ${THROTTLE_BURST} requests`,
            received: `${summary} in ${seconds.toFixed(2)} s: more than 60 requests within one second`,
            expected: 'at least one 429 once more than 60 requests arrive within a second',
            hint: `rate-limit each endpoint at 60 TPS (${checkId(family, 20)})`,
          },
        ],
      );
    tried.push(`${summary} in ${seconds.toFixed(2)} s`);
  }
  return skip(
    `inconclusive: no burst of ${THROTTLE_BURST} reached the supplier within one second (${tried.join('; ')}), so no second is known to have held more than 60 requests; run the check from a less busy machine or closer to the supplier`,
  );
}
