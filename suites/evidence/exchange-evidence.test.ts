/**
 * Evidence shows what happened without showing secrets or NHS numbers, and its curl command runs
 * in a shell exactly as printed once the placeholders are set.
 */
import { execFileSync } from 'node:child_process';
import { buildDefaultPack } from '../../fixtures/default-pack';
import type { Exchange } from '../checks/check';
import { curlFor, evidenceOf } from './exchange-evidence';

const patient = buildDefaultPack(new Date('2025-03-10T00:00:00Z')).patients[0]!;
const n = patient.nhsNumber;

const exchange = (over: Partial<Exchange['request']> = {}): Exchange => ({
  request: {
    method: 'GET',
    url: `http://127.0.0.1:7171/Appointment?patient:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${n}`)}`,
    headers: {
      Accept: 'application/fhir+json',
      'X-Correlation-ID': 'c"1$x',
      Authorization: 'Bearer eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJ4In0.c2ln',
      'NHSD-ID-Token': 'eyJhbGciOiJSUzUxMiJ9.eyJuaHMiOiJ4In0.c2ln',
    },
    label: 'patient with appointments',
    access: 'valid',
    idToken: 'valid',
    patient,
    ...over,
  },
  response: {
    status: 200,
    headers: { 'content-type': 'application/fhir+json', 'x-correlation-id': 'c"1$x', 'set-cookie': 'a=b' },
    text: `{"nhs":"${n}"}`,
    json: { nhs: n },
    latencyMs: 3.4,
  },
});

describe('evidence', () => {
  it('masks NHS numbers, replaces tokens by placeholders and keeps only the headers that matter', () => {
    const e = evidenceOf(exchange(), {
      tokenUrl: 'http://127.0.0.1:7171/oauth2/token',
      nhsLoginUrl: 'http://127.0.0.1:7070/nhs-login',
      nhsLoginPersistent: true,
    });
    const text = JSON.stringify(e);
    expect(text).not.toContain(n);
    expect(text).not.toContain('eyJ');
    expect(e.request.headers).toMatchObject({
      Authorization: 'Bearer $ACCESS_TOKEN',
      'NHSD-ID-Token': '$NHSD_ID_TOKEN',
    });
    expect(e.headers).toEqual({ 'content-type': 'application/fhir+json', 'x-correlation-id': 'c"1$x' });
    expect(e.body).toBe(`{\n  "nhs": "${n.slice(0, 3)}******${n.slice(-1)}"\n}`);
    expect(e.latencyMs).toBe(3);
  });

  it("prints a curl command that a shell runs with exactly the request's URL and headers", () => {
    const curl = curlFor(exchange(), {
      tokenUrl: 'http://127.0.0.1:7171/oauth2/token',
      nhsLoginUrl: 'http://127.0.0.1:7070/nhs-login',
    });
    expect(curl).not.toContain(n);
    const command = curl
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    // Run it through the shell with curl replaced by printf, to see the words curl would get.
    const words = execFileSync('bash', ['--norc', '--noprofile', '-c', `curl() { printf '%s\\n' "$@"; }\n${command}`], {
      env: { NHS_NUMBER: n, ACCESS_TOKEN: 'AT', NHSD_ID_TOKEN: 'IT', PATH: process.env.PATH },
    })
      .toString()
      .split('\n');
    expect(words).toContain(exchange().request.url);
    expect(words).toContain('X-Correlation-ID: c"1$x');
    expect(words).toContain('Authorization: Bearer AT');
    expect(words).toContain('NHSD-ID-Token: IT');
  });

  it('explains how to make each kind of token it cannot print', () => {
    expect(curlFor(exchange({ idToken: 'expired' }), { nhsLoginUrl: 'http://p/nhs-login' })).toContain(
      '\\"expiresIn\\":-600',
    );
    expect(curlFor(exchange({ idToken: 'forged' }))).toContain(
      '# NHSD_ID_TOKEN: a minted token re-signed (RS512) with any RSA key that is not in the NHS login JWKS',
    );
    expect(curlFor(exchange({ access: 'none', idToken: 'none', headers: { 'X-Correlation-ID': 'c' } }))).not.toMatch(
      /ACCESS_TOKEN|NHSD_ID_TOKEN/,
    );
    expect(curlFor(exchange({ access: 'invalid', headers: { Authorization: 'Bearer not-issued' } }))).toContain(
      '-H "Authorization: Bearer not-issued"',
    );
  });
});
