/**
 * The Record Service's decision about one `/records` call, with no HTTP in it: given what arrived
 * (path, credential, body) it finds every reason in the catalogue that applies, not just the first,
 * decides which numbers may register and how the mode answers. The router turns the judgement into
 * a stored verdict and a response.
 */
import type { ClientConfig, Mode, Profile } from '../../core/config';
import {
  NHS_NUMBER_PATTERN,
  checkNhsNumber,
  isInRanges,
  maskNhsNumber,
  type NhsNumberRange,
} from '../../core/nhs-number';
import { ineligibility, type PackPatient } from '../../fixtures/pack';
import { modeAnswer, precedence, reasonEntry, type ReasonCode, type RecordsErrorCode } from './catalogue';
import type { ClientRegistry } from './clients';
import type { ReasonFinding } from './verdict';

export const BATCH_LIMITS: Record<Profile, number> = { int: 200, prod: 5000 };

/** The API key in the spec's example; seeing it means the example was pasted as is. */
export const SPEC_EXAMPLE_API_KEY = '6b882ddf-82f5-4611-9390-71ca6a045a60';

export type CredentialCheck =
  | { kind: 'none' }
  | { kind: 'not-bearer'; scheme: string }
  | { kind: 'api-key'; client: ClientConfig; fingerprint: string }
  | { kind: 'access-token'; client: ClientConfig; fingerprint: string }
  | { kind: 'unknown-api-key'; fingerprint: string; length: number; note?: string }
  | {
      kind: 'token-rejected';
      problem: 'not-issued-here' | 'expired' | 'audience';
      message: string;
      clientId?: string;
      fingerprint: string;
    };

export type BodyRead =
  | { kind: 'json'; value: unknown }
  | { kind: 'empty' }
  | { kind: 'malformed'; message: string }
  | { kind: 'too-large'; message: string };

export interface RecordsCall {
  /** Path as received, e.g. `/records/`. */
  path: string;
  contentType: string | undefined;
  contentTypeOk: boolean;
  credential: CredentialCheck;
  body: BodyRead;
  at: Date;
}

export interface JudgeEnv {
  mode: Mode;
  profile: Profile;
  syntheticRanges: readonly NhsNumberRange[];
  clients: ClientRegistry;
  tokenUrl: string;
  packLookup?: (nhsNumber: string) => PackPatient | undefined;
  /** Whether a client's contract checks have passed (for clients with requireContractPass). */
  contractPassed?: (clientId: string) => boolean;
}

export interface Answer {
  status: number;
  /** Null for 200: the body is then `{"result":"success"}`. */
  error: { code: RecordsErrorCode; data: string } | null;
}

export interface Judgement {
  findings: ReasonFinding[];
  /** clientId as the body gave it (a string), else null. */
  bodyClientId: string | null;
  /** The client the call is for: the one numbers register for when the credential and clientId agree, else the credential's. */
  client?: ClientConfig;
  received: number;
  /** Distinct numbers to register (empty when the call registers nothing). */
  toRegister: string[];
  answer: Answer;
}

const MAX_LISTED = 10;

/** A value from the request as it may be stored or shown: NHS-number-like content masked. */
export function maskValue(v: unknown): string {
  if (typeof v === 'string') return v.length >= 4 ? maskNhsNumber(v) : '*'.repeat(v.length);
  if (typeof v === 'number') return maskNhsNumber(String(v));
  return v === null ? 'null' : typeof v;
}

function describePatternFailure(v: unknown): string {
  if (typeof v === 'number') return 'a JSON number, not a string: quote it';
  if (typeof v !== 'string')
    return `${v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`}, not a string`;
  if (v.length === 0) return 'an empty string';
  if (/\s/.test(v)) return 'contains spaces or other whitespace';
  if (/[^0-9]/.test(v)) return /[-]/.test(v) ? 'contains dashes' : 'contains characters other than digits';
  if (v.length !== 10) return `${v.length} digits, not 10`;
  if (v.startsWith('0')) return 'starts with 0';
  return 'does not match';
}

/** Joi-style message, as the real service words pattern failures (the spec's error example). */
function patternMessage(i: number, v: unknown): string {
  if (typeof v !== 'string') return `"nhsNumbers[${i}]" must be a string`;
  return `"nhsNumbers[${i}]" with value "${v}" fails to match the required pattern: ${String(NHS_NUMBER_PATTERN)}`;
}

const PLACEHOLDER =
  /^<[^>]*>$|^\{\{?[^}]*\}?\}$|^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$|^%[A-Za-z_]+%$|^(your[-_ ]?)?client[-_ ]?id$|^(changeme|todo|xxx+|example|test-client-id)$/i;

export function looksLikePlaceholder(s: string): boolean {
  return PLACEHOLDER.test(s.trim());
}

/** Collects number-level findings: one per code, with the first few indexes and masked values. */
class NumberFindings {
  private readonly byCode = new Map<
    ReasonCode,
    { count: number; indexes: number[]; examples: string[]; explanations: string[] }
  >();

  add(code: ReasonCode, index: number, value: unknown, explanation?: string): void {
    let f = this.byCode.get(code);
    if (!f) {
      f = { count: 0, indexes: [], examples: [], explanations: [] };
      this.byCode.set(code, f);
    }
    f.count += 1;
    if (f.indexes.length < MAX_LISTED) {
      f.indexes.push(index);
      f.examples.push(maskValue(value));
      if (explanation) f.explanations.push(`nhsNumbers[${index}] ("${maskValue(value)}": ${explanation})`);
    }
  }

  has(code: ReasonCode): boolean {
    return this.byCode.has(code);
  }

  findings(describe: (code: ReasonCode, count: number, listed: string) => string): ReasonFinding[] {
    return [...this.byCode.entries()].map(([code, f]) => {
      const listed = f.explanations.length
        ? f.explanations.join(', ')
        : f.indexes.map((i, k) => `nhsNumbers[${i}] ("${f.examples[k]}")`).join(', ');
      const more = f.count > f.indexes.length ? ` and ${f.count - f.indexes.length} more` : '';
      return {
        code,
        detail: describe(code, f.count, `${listed}${more}`),
        count: f.count,
        indexes: f.indexes,
        examples: f.examples,
      };
    });
  }
}

function credentialFindings(c: CredentialCheck, env: JudgeEnv): ReasonFinding[] {
  switch (c.kind) {
    case 'none':
      return [{ code: 'missing-authorization', detail: 'the request has no Authorization header' }];
    case 'not-bearer':
      return [
        {
          code: 'authorization-not-bearer',
          detail: c.scheme
            ? `the Authorization header uses the "${c.scheme}" scheme, not "Bearer"`
            : 'the Authorization header has no "Bearer " prefix (it looks like a bare credential)',
        },
      ];
    case 'unknown-api-key': {
      const extra = c.note ? `; ${c.note}` : '';
      return [
        {
          code: 'unknown-api-key',
          detail: `the credential in the Authorization header (${c.length} characters, sha256 ${c.fingerprint}) is neither an API key registered in this environment nor an access token from ${env.tokenUrl}${extra}`,
        },
      ];
    }
    case 'token-rejected': {
      const code: ReasonCode =
        c.problem === 'expired'
          ? 'token-expired'
          : c.problem === 'audience'
            ? 'token-audience'
            : 'token-not-issued-here';
      const who = c.clientId ? ` (token for clientId "${c.clientId}")` : '';
      return [{ code, detail: `${c.message}${who}` }];
    }
    default:
      return [];
  }
}

function credentialClient(c: CredentialCheck): ClientConfig | undefined {
  return c.kind === 'api-key' || c.kind === 'access-token' ? c.client : undefined;
}

function answerFor(
  findings: readonly ReasonFinding[],
  mode: Mode,
  specMessages: ReadonlyMap<ReasonCode, string[]>,
): Answer {
  if (mode === 'int' && findings.some((f) => f.code === 'trailing-slash')) return { status: 200, error: null };
  const blocking = findings
    .filter((f) => modeAnswer(f.code, mode) !== 'accept')
    .sort((a, b) => precedence(a.code) - precedence(b.code));
  const first = blocking[0];
  if (!first) return { status: 200, error: null };
  const a = modeAnswer(first.code, mode) as { status: number; code: RecordsErrorCode };
  // The data string lists every blocking reason, in the spec's style for the ones the spec words.
  const data = blocking.flatMap((f) => specMessages.get(f.code) ?? [f.detail]).join('. ');
  return { status: a.status, error: { code: a.code, data } };
}

export function judgeRecordsCall(call: RecordsCall, env: JudgeEnv): Judgement {
  const findings: ReasonFinding[] = [];
  const specMessages = new Map<ReasonCode, string[]>();
  const addSpec = (code: ReasonCode, msg: string) => {
    const list = specMessages.get(code) ?? [];
    list.push(msg);
    specMessages.set(code, list);
  };

  if (call.path !== '/records') {
    findings.push({
      code: 'trailing-slash',
      detail: `POST ${call.path} was received; the endpoint is POST /records (no trailing slash)`,
    });
  }
  findings.push(...credentialFindings(call.credential, env));

  if (!call.contentTypeOk) {
    findings.push({
      code: 'wrong-content-type',
      detail: `Content-Type is ${call.contentType ? `"${call.contentType}"` : 'missing'}; it must be application/json`,
    });
  } else {
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(call.contentType ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset))
      findings.push({
        code: 'unsupported-charset',
        detail: `Content-Type declares charset "${charset.slice(0, 40)}"; the body must be UTF-8 (charset=utf-8, or no charset)`,
      });
  }

  let bodyClientId: string | null = null;
  let numbers: unknown[] | undefined;
  const body = call.body;
  if (body.kind === 'too-large') {
    findings.push({ code: 'body-too-large', detail: body.message });
  } else if (body.kind === 'malformed') {
    findings.push({ code: 'malformed-json', detail: body.message });
    addSpec('malformed-json', 'Invalid JSON');
  } else if (body.kind === 'empty') {
    findings.push({ code: 'malformed-json', detail: 'the request has no body' });
    addSpec('malformed-json', '"value" must be of type object');
  } else {
    const shape = checkShape(body.value);
    for (const m of shape.messages) addSpec('invalid-request-body', m);
    if (shape.messages.length) findings.push({ code: 'invalid-request-body', detail: shape.messages.join('; ') });
    if (shape.unknown.length) {
      const shown = shape.unknown.slice(0, 5).map((k) => `"${k.slice(0, 40)}"`);
      const more = shape.unknown.length > 5 ? ` and ${shape.unknown.length - 5} more` : '';
      findings.push({
        code: 'unknown-body-field',
        detail: `the body has ${shape.unknown.length === 1 ? 'a property' : 'properties'} the Record Service does not read, ignored: ${shown.join(', ')}${more}`,
      });
    }
    bodyClientId = shape.clientId;
    numbers = shape.nhsNumbers;
  }

  // Which client the call is for: the credential decides, the body's clientId must agree.
  const credClient = credentialClient(call.credential);
  let client: ClientConfig | undefined;
  if (bodyClientId !== null && bodyClientId !== '') {
    const known = env.clients.get(bodyClientId);
    if (looksLikePlaceholder(bodyClientId)) {
      findings.push({
        code: 'client-id-placeholder',
        detail: `clientId is "${bodyClientId}", which looks like a template placeholder${credClient ? `; the credential belongs to clientId "${credClient.clientId}"` : ''}`,
      });
      addSpec('client-id-placeholder', 'clientId mismatch');
    } else if (credClient && credClient.clientId !== bodyClientId) {
      const what = known
        ? `"${bodyClientId}" is another registered client (${known.resourceType})`
        : `"${bodyClientId}" is not a registered client at all`;
      findings.push({
        code: 'client-id-mismatch',
        detail: `the ${call.credential.kind === 'access-token' ? 'access token' : 'API key'} belongs to clientId "${credClient.clientId}" (${credClient.resourceType}), but the body says ${what}`,
      });
      addSpec('client-id-mismatch', 'clientId mismatch');
    } else if (!known) {
      findings.push({
        code: 'unknown-client-id',
        detail: `clientId "${bodyClientId}" is not registered in this environment (known: ${
          env.clients
            .list()
            .map((c) => `"${c.clientId}"`)
            .join(', ') || 'none'
        })`,
      });
      addSpec('unknown-client-id', 'clientId mismatch');
    } else if (credClient) {
      client = credClient;
    }
  }

  const limit = BATCH_LIMITS[env.profile];
  const accepted: string[] = [];
  const received = numbers?.length ?? 0;
  if (numbers) {
    if (numbers.length > limit) {
      findings.push({
        code: 'batch-over-limit',
        detail: `${numbers.length} NHS numbers in one call; the ${env.profile === 'prod' ? 'production' : 'integration'} profile accepts at most ${limit}`,
      });
      addSpec('batch-over-limit', `"nhsNumbers" must contain less than or equal to ${limit} items`);
    }
    const per = new NumberFindings();
    const seen = new Set<string>();
    const on = call.at;
    numbers.forEach((v, i) => {
      if (typeof v !== 'string' || !NHS_NUMBER_PATTERN.test(v)) {
        per.add('nhs-number-pattern', i, v, describePatternFailure(v));
        addSpec('nhs-number-pattern', patternMessage(i, v));
        return;
      }
      const check = checkNhsNumber(v);
      if (!check.valid) {
        per.add(
          'check-digit',
          i,
          v,
          check.problem === 'check-digit-impossible'
            ? 'no valid NHS number starts with these nine digits'
            : 'wrong check digit',
        );
        return;
      }
      if (env.profile === 'int' && !isInRanges(v, env.syntheticRanges)) {
        per.add('not-synthetic', i, v);
        return;
      }
      if (seen.has(v)) {
        per.add('duplicate-in-batch', i, v);
        return;
      }
      seen.add(v);
      const patient = env.packLookup?.(v);
      const why = patient ? ineligibility(patient, on) : undefined;
      if (why) {
        per.add(why, i, v);
        return;
      }
      accepted.push(v);
    });
    findings.push(...per.findings((code, count, listed) => numberDetail(code, count, listed, env)));
  }

  const answer = answerFor(findings, env.mode, specMessages);
  const callBlocked = findings.some((f) => reasonEntry(f.code).kind === 'call') || answer.status !== 200 || !client;
  const toRegister = callBlocked ? [] : accepted;

  if (client && toRegister.length > 0) {
    if (!client.endpoint) {
      findings.push({
        code: 'no-supplier-endpoint',
        detail: `clientId "${client.clientId}" (${client.resourceType}) has no supplier endpoint configured, so the aggregator will not pull for these ${toRegister.length} patient(s)`,
      });
    } else if (client.requireContractPass && !(env.contractPassed?.(client.clientId) ?? false)) {
      findings.push({
        code: 'contract-checks-not-passed',
        detail: `clientId "${client.clientId}" requires a passed contract check before pulls; none is recorded yet`,
      });
    }
  }
  findings.sort((a, b) => precedence(a.code) - precedence(b.code));
  return { findings, bodyClientId, client: client ?? credClient, received, toRegister, answer };
}

/**
 * A range as words that survive NHS-number masking (verdicts are redacted): "numbers starting 999"
 * when it is a whole prefix, otherwise the bounds grouped 4-3-3.
 */
export function rangeText(r: NhsNumberRange): string {
  let p = 0;
  while (p < r.from.length && r.from[p] === r.to[p]) p += 1;
  const prefix = r.from.slice(0, p);
  const whole = /^0*$/.test(r.from.slice(p)) && /^9*$/.test(r.to.slice(p));
  const group = (n: string) => `${n.slice(0, 4)} ${n.slice(4, 7)} ${n.slice(7)}`;
  const text = whole && prefix ? `numbers starting ${prefix}` : `${group(r.from)} to ${group(r.to)}`;
  return r.label ? `${text}: ${r.label}` : text;
}

function numberDetail(code: ReasonCode, count: number, listed: string, env: JudgeEnv): string {
  switch (code) {
    case 'nhs-number-pattern':
      return `${count} entr${count === 1 ? 'y does' : 'ies do'} not match ^[1-9][0-9]{9}$: ${listed}`;
    case 'check-digit':
      return `${count} NHS number(s) fail the Modulus 11 check: ${listed}`;
    case 'not-synthetic':
      return `${count} NHS number(s) are outside the synthetic test ranges (${env.syntheticRanges.map(rangeText).join('; ')}): ${listed}`;
    case 'duplicate-in-batch':
      return `${count} repeated entr${count === 1 ? 'y' : 'ies'} (each number counts once): ${listed}`;
    case 'under-16':
      return `${count} patient(s) in the fixture pack are under 16 today: ${listed}`;
    case 'sensitive':
      return `${count} patient(s) in the fixture pack are flagged sensitive: ${listed}`;
    case 'excluded-by-trust':
      return `${count} patient(s) in the fixture pack are excluded by their trust: ${listed}`;
    default:
      return `${count}: ${listed}`;
  }
}

interface Shape {
  clientId: string | null;
  nhsNumbers?: unknown[];
  messages: string[];
  /** Property names besides clientId and nhsNumbers. */
  unknown: string[];
}

/** The request body's shape, with Joi-style messages as the real service words them. */
function checkShape(value: unknown): Shape {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { clientId: null, messages: ['"value" must be of type object'], unknown: [] };
  }
  const o = value as Record<string, unknown>;
  const messages: string[] = [];
  const near = (name: string) => {
    const other = Object.keys(o).find((k) => k !== name && k.toLowerCase().replace(/[-_]/g, '') === name.toLowerCase());
    return other ? ` (the body has "${other}": property names are case-sensitive)` : '';
  };
  let clientId: string | null = null;
  if (!('clientId' in o)) messages.push(`"clientId" is required${near('clientId')}`);
  else if (typeof o.clientId !== 'string') messages.push('"clientId" must be a string');
  else if (o.clientId.trim() === '') {
    messages.push('"clientId" is not allowed to be empty');
    clientId = o.clientId;
  } else clientId = o.clientId.slice(0, 200);

  let nhsNumbers: unknown[] | undefined;
  if (!('nhsNumbers' in o)) messages.push(`"nhsNumbers" is required${near('nhsNumbers')}`);
  else if (!Array.isArray(o.nhsNumbers)) messages.push('"nhsNumbers" must be an array');
  else if (o.nhsNumbers.length === 0) messages.push('"nhsNumbers" must contain at least 1 items');
  else nhsNumbers = o.nhsNumbers;
  const unknown = Object.keys(o).filter((k) => k !== 'clientId' && k !== 'nhsNumbers');
  return { clientId, nhsNumbers, messages, unknown };
}
