/**
 * The checks every producer endpoint shares, written once and parameterised by resource type:
 * GA-01..20 for /Appointment, DR-01..20 for /DocumentReference, TK-01..20 for /Task. Family
 * specific checks (consultation medium, deep links, cancelled appointments) live in ga.ts, dr.ts
 * and tk.ts and start at 21.
 */
import type { Bundle, FhirResource, ProducerResourceType } from '../../core/fhir';
import { FHIR_JSON, isOperationOutcome } from '../../core/fhir';
import { CORRELATION_HEADER } from '../../core/http';
import { validateAgainst } from '../../core/schema';
import { operationOutcomeSchema } from '../../contracts/schemas/producer';
import { textMentionsPatient, type PackPatient } from '../../fixtures/pack';
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
import { validateProducerBundle } from '../../contracts/validate';
import { patientLabel } from '../evidence/exchange-evidence';
import { type ProbeResult, type ProbeSpec, buildRequest, probe } from './probes';

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

export function asBundle(ex: Exchange): Bundle | undefined {
  const j = ex.response.json as { resourceType?: unknown } | undefined;
  return j && typeof j === 'object' && j.resourceType === 'Bundle' ? (j as Bundle) : undefined;
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

/** `Dermatology for Amelia Hartley, born 1972-07-24` -> `Dermatology for [name] [name], born [date of birth]`. */
export function withoutPid(text: string, p: PackPatient): string {
  const [y, m, d] = p.birthDate.split('-');
  let out = text;
  for (const date of [p.birthDate, `${d}/${m}/${y}`]) out = out.split(date).join('[date of birth]');
  out = out.replace(
    new RegExp(`${p.nhsNumber.slice(0, 3)}[ -]?${p.nhsNumber.slice(3, 6)}[ -]?${p.nhsNumber.slice(6)}`, 'g'),
    '[NHS number]',
  );
  for (const n of [...p.name.given, p.name.family].flatMap((x) => x.split(/\s+/)).filter((x) => x.length > 1)) {
    out = out.replace(
      new RegExp(`(?<![\\p{L}])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}])`, 'giu'),
      '[name]',
    );
  }
  return out;
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

interface Def {
  n: number;
  title: string;
  requirements: string[];
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
      n: 1,
      suite: 'schema',
      title: `A patient with ${what} gets a searchset Bundle valid against the standard's schema`,
      requirements: ['PS-SEARCHSET', 'WF-NFR-12'],
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
        );
      },
    },
    {
      n: 2,
      title: 'Bundle.total equals the number of entries',
      requirements: ['PS-SEARCHSET', 'WF-NFR-07'],
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
      n: 3,
      title: `A patient with no ${what} gets 200 and a Bundle with total 0`,
      requirements: ['WF-NFR-07', 'PS-NO-DATA'],
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
      n: 4,
      title: 'Responses are application/fhir+json',
      requirements: ['PS-FHIR-JSON'],
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
      n: 5,
      title: 'X-Correlation-ID is echoed back',
      requirements: ['PS-CORRELATION-ID', 'WF-NFR-09'],
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
      n: 6,
      title: '400 when patient:identifier is missing',
      requirements: ['PS-PATIENT-IDENTIFIER'],
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
      n: 7,
      title: '400 when patient:identifier is not a valid NHS number',
      requirements: ['PS-PATIENT-IDENTIFIER'],
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
      n: 8,
      title: '401 without a bearer token',
      requirements: ['PS-OAUTH', 'WF-NFR-14'],
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
      n: 9,
      title: '401 with an invalid bearer token',
      requirements: ['PS-OAUTH', 'WF-NFR-14'],
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
      n: 10,
      title: '401 for a forged NHS login ID token',
      requirements: ['PS-ID-TOKEN', 'WF-NFR-14'],
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
      n: 11,
      title: '401 for an expired NHS login ID token',
      requirements: ['PS-ID-TOKEN', 'WF-NFR-14'],
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
      n: 12,
      title: '401 for an ID token from another issuer',
      requirements: ['PS-ID-TOKEN', 'WF-NFR-14'],
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
      n: 13,
      title: '401 for an ID token for another NHS number',
      requirements: ['PS-ID-TOKEN', 'WF-NFR-14'],
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
      n: 14,
      title: "401 for an ID token whose birth date is not the patient's",
      requirements: ['WF-NFR-14'],
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
      n: 15,
      title: '401 for an ID token proofed below P9',
      requirements: ['PS-ID-TOKEN'],
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
      n: 16,
      title: '403 UNDER_16_DENIED for a patient under 16',
      requirements: ['WF-NFR-16', 'PS-UNDER-16'],
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
      n: 17,
      title: 'Errors are FHIR OperationOutcome resources',
      requirements: ['PS-OPERATION-OUTCOME'],
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
          const v = validateAgainst(operationOutcomeSchema, body);
          for (const d of v.diagnostics)
            findings.push({
              title: `${d.message} (${ex.request.label})`,
              pointer: d.pointer,
              hint: 'see the OperationOutcome schema in the producer standard',
            });
        }
        if (exchanges.length === 0)
          return skip(
            'no error response to judge: none of the error probes was answered with an error status (the checks for those statuses report it)',
          );
        return judge(exchanges, findings, `${exchanges.length} error response(s) judged`);
      },
    },
    {
      n: 18,
      title: 'Nothing returned belongs to another patient',
      requirements: ['PS-PATIENT-SCOPE', 'WF-NFR-14'],
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
      n: 19,
      title: 'Descriptions carry no personal identifiable data',
      requirements: ['WF-NFR-17'],
      description:
        "WF-NFR-17: names and descriptions sent to the aggregator contain no personal identifiable data: not the patient's name, date of birth or NHS number.",
      fix: 'Build descriptions from the specialty and the document or questionnaire type only (e.g. "Dermatology appointment letter").',
      run: async (ctx) => {
        const h = await happyBundle(ctx, family, type);
        if (isVerdict(h)) return h;
        const patient = h.ex.request.patient!;
        const findings: Finding[] = [];
        for (const { resource, pointer } of resourcesOf(h.bundle)) {
          const d = (resource as { description?: unknown }).description;
          if (typeof d === 'string' && textMentionsPatient(d, patient)) {
            // The report shows where the PID sits without repeating it.
            findings.push({
              title: `${resource.resourceType}.description names the patient`,
              pointer: `${pointer}/description`,
              received: withoutPid(d, patient),
              expected: 'a description without name, date of birth or NHS number',
              hint: 'describe the record, not the person',
            });
          }
        }
        return judge([h.ex], findings);
      },
    },
    {
      n: 20,
      optIn: 'throttle',
      title: '429 Too Many Requests above 60 TPS',
      requirements: ['WF-NFR-03'],
      description: `WF-NFR-03: each API limits requests and answers 429 at 60 TPS. The check sends a short burst of ${THROTTLE_BURST} concurrent requests (opt-in: --include-throttle) and expects at least one 429.`,
      fix: 'Put a rate limiter in front of the endpoint that answers 429 (with an OperationOutcome and Retry-After) above 60 requests per second.',
      run: (ctx) => throttleBurst(ctx, family, type),
    },
  ];
  return defs.map((d) => ({
    id: checkId(family, d.n),
    title: d.title,
    family,
    requirements: d.requirements,
    level: 'MUST' as const,
    endpoint: type,
    suite: d.suite ?? 'rules',
    description: d.description,
    fix: d.fix,
    ...(d.optIn ? { optIn: d.optIn } : {}),
    run: d.run,
  }));
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

async function throttleBurst(
  ctx: CheckContext,
  family: ProducerFamily,
  type: ProducerResourceType,
): Promise<CheckVerdict> {
  const h = happySpec(ctx, type);
  if ('unavailable' in h) return skip(h.unavailable);
  const template = await buildRequest(ctx, type, { ...h, label: 'throttle burst' });
  if ('unavailable' in template) return skip(template.unavailable);
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
  return fail(
    [ex],
    [
      {
        title: `no 429 in a burst of ${THROTTLE_BURST} requests`,
        received: `${summary} in ${seconds.toFixed(2)} s (about ${Math.round(responses.length / Math.max(seconds, 1))} per second or more)`,
        expected: 'at least one 429 once more than 60 requests arrive within a second',
        hint: `rate-limit each endpoint at 60 TPS (${checkId(family, 20)})`,
      },
    ],
  );
}
