/**
 * Tokens a load run needs before it starts: an OAuth access token from the supplier's token URL
 * (client credentials, as the PCA gets one: WF-NFR-14) and an NHS login ID token per patient,
 * minted over HTTP by an NHS login mock (the platform's, or suites/nhs-login-session's).
 */
import { adminHeaders } from '../core/admin-token';
import { fetchWithTimeout } from '../core/http';
import { maskNhsNumber } from '../core/nhs-number';
import { ExitCode, HarnessError } from '../core/errors';

/** The target or platform refused what the run needs to start (wrong credentials, unknown patient). */
export class LoadSetupError extends HarnessError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'LoadSetupError';
  }
}

export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

interface TokenBody {
  access_token?: unknown;
  error?: unknown;
  error_description?: unknown;
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/**
 * client_secret_basic first (RFC 6749 2.3.1 says servers must support it); a server that only
 * reads the body gets client_secret_post on a second try. Never both at once: that is refused.
 */
export async function clientCredentialsToken(c: ClientCredentials, timeoutMs = 10_000): Promise<string> {
  const basic = Buffer.from(`${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`).toString(
    'base64',
  );
  const attempts: Array<{ headers: Record<string, string>; body: string }> = [
    { headers: { Authorization: `Basic ${basic}` }, body: form({ grant_type: 'client_credentials' }) },
    {
      headers: {},
      body: form({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }),
    },
  ];
  let last = '';
  for (const a of attempts) {
    const res = await fetchWithTimeout<TokenBody>(c.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...a.headers },
      body: a.body,
      timeoutMs,
    });
    if (res.status === 200 && typeof res.json?.access_token === 'string') return res.json.access_token;
    const why =
      typeof res.json?.error_description === 'string'
        ? res.json.error_description
        : typeof res.json?.error === 'string'
          ? res.json.error
          : res.text.slice(0, 200);
    last = `${res.status}${why ? `: ${why}` : ''}`;
    if (res.status !== 400 && res.status !== 401) break;
  }
  throw new LoadSetupError(
    `the token URL ${c.tokenUrl} did not issue an access token (${last}); give this supplier's --token-url, --client-id and --client-secret, or --bearer`,
  );
}

export interface IdTokenSubject {
  nhsNumber: string;
  birthDate: string;
}

/** ID tokens from `{issuer}/_harness/id-token`, a few at a time; keyed by NHS number. */
export async function mintIdTokens(
  issuer: string,
  subjects: IdTokenSubject[],
  concurrency = 8,
  timeoutMs = 10_000,
  /** The platform's admin token, needed when it listens beyond loopback. */
  adminToken?: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < subjects.length) {
      const s = subjects[next++]!;
      if (out.has(s.nhsNumber)) continue;
      const res = await fetchWithTimeout<{ id_token?: unknown; error_description?: unknown }>(
        `${issuer}/_harness/id-token`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...adminHeaders(adminToken) },
          body: JSON.stringify({ nhsNumber: s.nhsNumber, birthDate: s.birthDate }),
          timeoutMs,
        },
      );
      if (res.status !== 200 || typeof res.json?.id_token !== 'string') {
        const why = typeof res.json?.error_description === 'string' ? `: ${res.json.error_description}` : '';
        throw new LoadSetupError(
          `the NHS login mock at ${issuer} would not mint an ID token for ${maskNhsNumber(s.nhsNumber)} (${res.status}${why}); is --platform-url the platform's base URL?`,
        );
      }
      out.set(s.nhsNumber, res.json.id_token);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, subjects.length)) }, worker));
  return out;
}
