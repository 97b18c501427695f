/**
 * The tokens a check run presents: an OAuth access token (given, or from the supplier's token URL
 * with client_secret_basic) and NHS login ID tokens of every kind the checks need. Valid, expired,
 * P5 and mismatched tokens are minted by the NHS login mock; forged ones are signed here with a
 * key the JWKS does not hold (under the real kid); other-issuer ones need the mock's own key.
 */
import { adminHeaders } from '../../core/admin-token';
import { addDays, type Clock, systemClock } from '../../core/clock';
import type { SupplierAccess } from '../../core/access';
import { ConfigError } from '../../core/config';
import { fetchWithTimeout } from '../../core/http';
import { generateSigningKey, type SigningKey } from '../../core/keys';
import { maskNhsNumber } from '../../core/nhs-number';
import { DEFAULT_ID_TOKEN_AUDIENCE, mintIdToken } from '../../core/tokens';
import type { Credentials, IdTokenRequest } from '../checks/check';

export interface NhsLoginAccess {
  /** The mock's base URL, `{platform}/nhs-login`. */
  url: string;
  /** The mock's own signing key, when this process holds it (needed only for other-issuer tokens). */
  signingKey?: SigningKey;
  /** The platform's admin token, for minting when it listens beyond loopback. */
  adminToken?: string;
}

export interface CredentialOptions {
  access: SupplierAccess;
  nhsLogin: NhsLoginAccess;
  clock?: Clock;
  /** A key that is not in the NHS login JWKS; generated once per run when not given. */
  forgeryKey?: SigningKey;
}

/** Credentials could not be obtained: a configuration problem (exit 2), with what to change. */
export class CredentialError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

/** An issuer NHS login really uses, which a supplier configured for the mock must refuse. */
export const OTHER_ISSUER = 'https://auth.login.nhs.uk';
export const INVALID_ACCESS_TOKEN = 'pca-harness-not-an-issued-access-token';
/** A client id that is not the NHS App's: ID tokens issued to it must be refused. */
export const OTHER_CLIENT = 'pca-harness-another-client';

interface Discovery {
  issuer: string;
  kid: string;
}

function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+');
}

export async function fetchAccessToken(tokenUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
  const res = await fetchWithTimeout<{ access_token?: unknown; error?: unknown; error_description?: unknown }>(
    tokenUrl,
    {
      method: 'POST',
      headers: {
        Authorization: `Basic ${basic}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
    },
  );
  let body: { access_token?: unknown; error?: unknown; error_description?: unknown } | undefined = res.json;
  if (!body) {
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      body = undefined;
    }
  }
  if (res.status !== 200 || typeof body?.access_token !== 'string') {
    const why = body?.error
      ? `${String(body.error)}${body.error_description ? `: ${String(body.error_description)}` : ''}`
      : res.text.slice(0, 200);
    throw new CredentialError(
      `the token endpoint ${tokenUrl} did not issue an access token (HTTP ${res.status}: ${why || 'no body'}). Check --token-url, --client-id and --client-secret, or give --bearer.`,
    );
  }
  return body.access_token;
}

export function createCredentials(opts: CredentialOptions): Credentials {
  const clock = opts.clock ?? systemClock;
  const base = opts.nhsLogin.url.replace(/\/$/, '');
  let access: Promise<string> | undefined;
  let discovery: Promise<Discovery> | undefined;
  let forgery: Promise<SigningKey> | undefined;
  const cache = new Map<string, Promise<string>>();

  const discover = (): Promise<Discovery> => {
    discovery ??= (async () => {
      const conf = await fetchWithTimeout<{ issuer?: unknown; jwks_uri?: unknown }>(
        `${base}/.well-known/openid-configuration`,
      );
      const doc = conf.json ?? {};
      if (conf.status !== 200 || typeof doc.issuer !== 'string' || typeof doc.jwks_uri !== 'string') {
        throw new CredentialError(
          `${base}/.well-known/openid-configuration is not an NHS login discovery document (HTTP ${conf.status}); is --platform-url right?`,
        );
      }
      const jwks = await fetchWithTimeout<{ keys?: Array<{ kid?: unknown }> }>(doc.jwks_uri);
      const kid = jwks.json?.keys?.[0]?.kid;
      if (typeof kid !== 'string')
        throw new CredentialError(`the NHS login JWKS at ${doc.jwks_uri} has no key with a kid`);
      return { issuer: doc.issuer, kid };
    })();
    return discovery;
  };

  const mint = async (body: Record<string, unknown>): Promise<string> => {
    const res = await fetchWithTimeout<{ id_token?: unknown; error_description?: unknown }>(
      `${base}/_harness/id-token`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...adminHeaders(opts.nhsLogin.adminToken) },
        body: JSON.stringify(body),
      },
    );
    if (res.status !== 200 || typeof res.json?.id_token !== 'string') {
      throw new CredentialError(
        `the NHS login mock at ${base} did not mint an ID token for ${maskNhsNumber(String(body.nhsNumber))} (HTTP ${res.status}: ${String(res.json?.error_description ?? res.text.slice(0, 200))})`,
      );
    }
    return res.json.id_token;
  };

  const make = async (req: IdTokenRequest): Promise<string | { unavailable: string }> => {
    const p = req.patient;
    switch (req.kind) {
      case 'valid':
        return mint({ nhsNumber: p.nhsNumber, birthDate: p.birthDate, familyName: p.name.family });
      case 'expired':
        return mint({ nhsNumber: p.nhsNumber, birthDate: p.birthDate, familyName: p.name.family, expiresIn: -600 });
      case 'below-p9':
        return mint({ nhsNumber: p.nhsNumber, birthDate: p.birthDate, familyName: p.name.family, proofingLevel: 'P5' });
      case 'other-audience':
        return mint({
          nhsNumber: p.nhsNumber,
          birthDate: p.birthDate,
          familyName: p.name.family,
          audience: OTHER_CLIENT,
        });
      case 'other-azp':
        return mint({
          nhsNumber: p.nhsNumber,
          birthDate: p.birthDate,
          familyName: p.name.family,
          audience: [DEFAULT_ID_TOKEN_AUDIENCE, OTHER_CLIENT],
          azp: OTHER_CLIENT,
        });
      case 'unsigned':
        return mint({ nhsNumber: p.nhsNumber, birthDate: p.birthDate, familyName: p.name.family, unsigned: true });
      case 'other-birthdate':
        return mint({ nhsNumber: p.nhsNumber, birthDate: addDays(p.birthDate, -400), familyName: p.name.family });
      case 'other-patient': {
        if (!req.other) return { unavailable: 'no second patient to take an NHS number from' };
        // Same birth date, so only the NHS number cross-check can catch it.
        return mint({ nhsNumber: req.other.nhsNumber, birthDate: p.birthDate, familyName: req.other.name.family });
      }
      case 'forged': {
        const d = await discover();
        forgery ??= opts.forgeryKey ? Promise.resolve(opts.forgeryKey) : generateSigningKey().then((k) => k.key);
        const key = await forgery;
        const { token } = await mintIdToken(
          { ...key, kid: d.kid },
          { issuer: d.issuer, nhsNumber: p.nhsNumber, birthDate: p.birthDate, familyName: p.name.family, clock },
        );
        return token;
      }
      case 'other-issuer': {
        const d = await discover();
        const own = opts.nhsLogin.signingKey;
        if (!own || own.kid !== d.kid) {
          return {
            unavailable:
              "an other-issuer token must be signed with the NHS login mock's own key, which this process does not hold: run check without --platform-url, or with the same state directory as the running platform",
          };
        }
        const { token } = await mintIdToken(own, {
          issuer: OTHER_ISSUER,
          nhsNumber: p.nhsNumber,
          birthDate: p.birthDate,
          familyName: p.name.family,
          clock,
        });
        return token;
      }
    }
  };

  return {
    accessToken() {
      access ??=
        opts.access.type === 'static'
          ? Promise.resolve(opts.access.token)
          : fetchAccessToken(opts.access.tokenUrl, opts.access.clientId, opts.access.clientSecret);
      access.catch(() => {
        access = undefined;
      });
      return access;
    },
    invalidAccessToken: () => INVALID_ACCESS_TOKEN,
    async idToken(req) {
      const key = `${req.kind}|${req.patient.nhsNumber}|${req.other?.nhsNumber ?? ''}`;
      let p = cache.get(key);
      if (!p) {
        const made = await make(req);
        if (typeof made !== 'string') return made;
        p = Promise.resolve(made);
        cache.set(key, p);
      }
      return { token: await p };
    },
  };
}
