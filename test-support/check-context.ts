/**
 * Crafted inputs for the checks' unit tests: a supplier written as a plain function of the request
 * (conforming by default, bent per test), fake credentials that name the token kind, and a context
 * that needs no network. Checks get HTTP only through the transport, so this is all they see.
 */
import { isUnder16 } from '../core/clock';
import { type Bundle, type ProducerResourceType, operationOutcome } from '../core/fhir';
import { CORRELATION_HEADER } from '../core/http';
import { parsePatientIdentifier } from '../core/nhs-number';
import { type FixturePack, PackIndex } from '../fixtures/pack';
import type { CheckContext, Credentials, HttpRequest, HttpResponse, Transport } from '../suites/checks/check';
import { chooseRoster } from '../suites/checks/roster';

export const BASE = 'https://supplier.test';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    status,
    headers: { 'content-type': 'application/fhir+json; charset=utf-8', ...headers },
    text,
    json: body,
    latencyMs: 1,
  };
}

/** A supplier that follows the standard, answering from the pack. */
export function conformingSupplier(pack: FixturePack, on: Date): (req: HttpRequest) => HttpResponse {
  const index = new PackIndex(pack);
  return (req) => {
    const echo = { 'x-correlation-id': req.headers[CORRELATION_HEADER] ?? '' };
    const oo = (status: number, code: string, diag: string) => json(status, operationOutcome(code, diag), echo);
    if (req.access !== 'valid') return oo(401, 'processing', 'Missing or invalid OAuth 2.0 bearer token');
    const url = new URL(req.url);
    const raw = url.searchParams.get('patient:identifier');
    if (raw === null) return oo(400, 'exception', '"patient:identifier" is required');
    const parsed = parsePatientIdentifier(raw);
    if (!parsed.ok) return oo(400, 'exception', parsed.message);
    if (req.idToken !== 'valid') return oo(401, 'processing', `NHSD-ID-Token rejected (${req.idToken})`);
    const p = index.get(parsed.nhsNumber);
    if (p && isUnder16(p.birthDate, on)) return oo(403, 'forbidden', 'UNDER_16_DENIED');
    const type = url.pathname.slice(1) as ProducerResourceType;
    const bundle: Bundle = structuredClone(p?.expected[type]) ?? {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 0,
    };
    return json(200, bundle, echo);
  };
}

export const fakeCredentials: Credentials = {
  accessToken: async () => 'access-token-for-tests',
  invalidAccessToken: () => 'not-issued',
  idToken: async (req) => ({ token: `id-token:${req.kind}:${req.patient.nhsNumber}` }),
};

export interface FakeContextOptions {
  pack: FixturePack;
  on: Date;
  respond: (req: HttpRequest) => HttpResponse | Promise<HttpResponse>;
  includeThrottle?: boolean;
  platform?: CheckContext['platform'];
}

export function fakeContext(opts: FakeContextOptions): CheckContext & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  const transport: Transport = async (req) => {
    requests.push(req);
    return opts.respond(req);
  };
  return {
    transport,
    requests,
    endpoints: {
      Appointment: `${BASE}/Appointment`,
      DocumentReference: `${BASE}/DocumentReference`,
      Task: `${BASE}/Task`,
    },
    credentials: fakeCredentials,
    pack: new PackIndex(opts.pack),
    roster: chooseRoster(opts.pack, opts.on),
    clock: { now: () => opts.on },
    includeThrottle: opts.includeThrottle ?? false,
    memo: new Map(),
    ...(opts.platform ? { platform: opts.platform } : {}),
  };
}
