/**
 * A check's evidence as reports show it: the request (tokens as placeholders), the status, the
 * headers that matter, a body excerpt, all with NHS numbers masked, and a curl command that
 * reproduces the exchange with `$NHS_NUMBER`, `$ACCESS_TOKEN` and `$NHSD_ID_TOKEN` to fill in.
 * (The evidence *bundle* handed over at assurance is suites/evidence/evidence.ts.)
 */
import { maskNhsNumber } from '../../core/nhs-number';
import { maskNhsNumbersInText, redactText } from '../../core/redact';
import type { PackPatient } from '../../fixtures/pack';
import type { Exchange, HttpRequest, IdTokenKind } from '../checks/check';

export interface EvidenceItem {
  label: string;
  request: { method: string; url: string; headers: Record<string, string> };
  /** What credentials the request carried, in words. */
  credentials: string[];
  status: number;
  /** Only the headers a check looks at. */
  headers: Record<string, string>;
  body: string;
  latencyMs: number;
  curl: string;
}

export interface CurlContext {
  /** Where the access token came from: a token URL, or (undefined) a bearer given on the command line. */
  tokenUrl?: string;
  /** The NHS login mock's base URL (`.../nhs-login`), for minting ID tokens. */
  nhsLoginUrl?: string;
  /** False when the mock was started in-process and is gone once the run ends. */
  nhsLoginPersistent?: boolean;
}

const SHOWN_HEADERS = [
  'content-type',
  'x-correlation-id',
  'retry-after',
  'www-authenticate',
  'x-pca-harness-warning',
  'content-length',
];
const BODY_LIMIT = 2_000;

export function patientLabel(p: PackPatient | undefined): string {
  if (!p) return 'no pack patient';
  return `pack patient ${maskNhsNumber(p.nhsNumber)}${p.scenario ? ` ("${p.scenario}")` : ''}`;
}

const ID_TOKEN_WORDS: Record<IdTokenKind, string> = {
  valid: 'NHSD-ID-Token: a valid NHS login ID token (P9) for the patient',
  forged: 'NHSD-ID-Token: forged (signed with a key that is not in the NHS login JWKS, under the real kid)',
  expired: 'NHSD-ID-Token: expired 10 minutes ago',
  'other-issuer': 'NHSD-ID-Token: validly signed, but iss is another issuer (https://auth.login.nhs.uk)',
  'other-patient': 'NHSD-ID-Token: valid, for another NHS number with the same birth date',
  'other-birthdate': 'NHSD-ID-Token: valid, for this NHS number but another birth date',
  'below-p9': 'NHSD-ID-Token: valid, but proofed to P5',
  'other-audience': 'NHSD-ID-Token: validly signed, but issued to another client (aud)',
  'other-azp': 'NHSD-ID-Token: validly signed, several audiences, authorised party (azp) another client',
  unsigned: 'NHSD-ID-Token: alg "none", no signature',
  none: 'NHSD-ID-Token: none',
};

export function describeCredentials(req: HttpRequest): string[] {
  const access =
    req.access === 'valid'
      ? 'Authorization: a valid access token'
      : req.access === 'invalid'
        ? 'Authorization: a bearer the supplier never issued'
        : 'Authorization: none';
  return [access, ID_TOKEN_WORDS[req.idToken]];
}

/** The request as shown: secrets replaced by the placeholders the curl command uses. */
function shownHeaders(req: HttpRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    const key = k.toLowerCase();
    if (key === 'authorization') out[k] = req.access === 'valid' ? 'Bearer $ACCESS_TOKEN' : v;
    else if (key === 'nhsd-id-token') out[k] = '$NHSD_ID_TOKEN';
    else out[k] = maskNhsNumbersInText(v);
  }
  return out;
}

function withPlaceholder(url: string, p: PackPatient | undefined): string {
  return p ? url.split(p.nhsNumber).join('$NHS_NUMBER') : url;
}

const NOT_A_PLACEHOLDER = /\$(?!(NHS_NUMBER|ACCESS_TOKEN|NHSD_ID_TOKEN)\b)/g;

/** A double-quoted shell word in which only our placeholders expand. */
function dq(s: string): string {
  return `"${s.replace(/(["\\`])/g, '\\$1').replace(NOT_A_PLACEHOLDER, '\\$')}"`;
}

function mintCommand(ctx: CurlContext, fields: string): string {
  const url = ctx.nhsLoginUrl ? `${ctx.nhsLoginUrl}/_harness/id-token` : '<platform>/nhs-login/_harness/id-token';
  return `curl -s -X POST ${url} -H 'Content-Type: application/json' -d "{${fields}}" | jq -r .id_token`;
}

function idTokenRecipe(kind: IdTokenKind, ctx: CurlContext): string | undefined {
  const nhs = '\\"nhsNumber\\":\\"$NHS_NUMBER\\"';
  switch (kind) {
    case 'valid':
      return mintCommand(ctx, nhs);
    case 'expired':
      return mintCommand(ctx, `${nhs},\\"expiresIn\\":-600`);
    case 'below-p9':
      return mintCommand(ctx, `${nhs},\\"proofingLevel\\":\\"P5\\"`);
    case 'other-birthdate':
      return mintCommand(ctx, `${nhs},\\"birthDate\\":\\"<any date but the patient's>\\"`);
    case 'other-patient':
      return mintCommand(
        ctx,
        '\\"nhsNumber\\":\\"<another pack patient\'s NHS number>\\",\\"birthDate\\":\\"<the date of birth of $NHS_NUMBER>\\"',
      );
    case 'other-audience':
      return mintCommand(ctx, `${nhs},\\"audience\\":\\"pca-harness-another-client\\"`);
    case 'other-azp':
      return mintCommand(
        ctx,
        `${nhs},\\"audience\\":[\\"nhs-online\\",\\"pca-harness-another-client\\"],\\"azp\\":\\"pca-harness-another-client\\"`,
      );
    case 'unsigned':
      return mintCommand(ctx, `${nhs},\\"unsigned\\":true`);
    case 'forged':
      return 'a minted token re-signed (RS512) with any RSA key that is not in the NHS login JWKS, keeping the header kid';
    case 'other-issuer':
      return 'a token signed with the NHS login mock\'s key but with "iss": "https://auth.login.nhs.uk"';
    case 'none':
      return undefined;
  }
}

export function curlFor(ex: Exchange, ctx: CurlContext = {}): string {
  const req = ex.request;
  const lines: string[] = [];
  const url = withPlaceholder(req.url, req.patient);
  if (url.includes('$NHS_NUMBER'))
    lines.push(`# NHS_NUMBER: the NHS number of ${patientLabel(req.patient)} in the fixture pack`);
  if (req.access === 'valid') {
    lines.push(
      ctx.tokenUrl
        ? `# ACCESS_TOKEN: curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials ${ctx.tokenUrl} | jq -r .access_token`
        : '# ACCESS_TOKEN: the bearer token given with --bearer',
    );
  }
  const recipe = idTokenRecipe(req.idToken, ctx);
  if (recipe) {
    lines.push(`# NHSD_ID_TOKEN: ${recipe}`);
    if (ctx.nhsLoginPersistent === false)
      lines.push('#   (the NHS login mock of this run has stopped: start `pca-harness serve` and mint from it)');
  }
  const parts = [`curl -sS -i -X ${req.method} ${dq(url)}`];
  for (const [k, v] of Object.entries(shownHeaders(req))) {
    if (k.toLowerCase() === 'accept') continue;
    parts.push(`-H ${dq(`${k}: ${v}`)}`);
  }
  if (req.body) parts.push(`--data ${dq(maskNhsNumbersInText(req.body))}`);
  lines.push(parts.join(' \\\n  '));
  return lines.join('\n');
}

export function evidenceOf(ex: Exchange, ctx: CurlContext = {}): EvidenceItem {
  const headers: Record<string, string> = {};
  for (const h of SHOWN_HEADERS) {
    const v = ex.response.headers[h];
    if (v !== undefined) headers[h] = redactText(v);
  }
  let body = ex.response.json !== undefined ? JSON.stringify(ex.response.json, null, 2) : ex.response.text;
  if (body.length > BODY_LIMIT)
    body = `${body.slice(0, BODY_LIMIT)}\n... (${body.length - BODY_LIMIT} more characters)`;
  return {
    label: ex.request.label,
    request: {
      method: ex.request.method,
      url: maskNhsNumbersInText(ex.request.url),
      headers: shownHeaders(ex.request),
    },
    credentials: describeCredentials(ex.request),
    status: ex.response.status,
    headers,
    body: redactText(body) || '(empty body)',
    latencyMs: Math.round(ex.response.latencyMs),
    curl: curlFor(ex, ctx),
  };
}
