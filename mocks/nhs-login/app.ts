/**
 * NHS login mock: OIDC discovery, JWKS and a harness endpoint that mints RS512 ID tokens with the
 * claims NHS login issues. Mounted by the platform at `/nhs-login`; any OIDC library can verify
 * the tokens against the published JWKS.
 */
import express, { type Router } from 'express';
import { isCalendarDate, isUnder16, type Clock, systemClock } from '../../core/clock';
import { checkNhsNumber, maskNhsNumber } from '../../core/nhs-number';
import type { KeyRing } from '../../core/keys';
import { mintIdToken, type ProofingLevel } from '../../core/tokens';
import { bodyErrorHandler, jsonBody } from '../../core/http';
import type { Logger } from '../../core/logger';
import { silentLogger } from '../../core/logger';

export const NHS_LOGIN_KEY = 'nhs-login';
export const NHS_LOGIN_MOUNT = '/nhs-login';

export interface PatientDemographics {
  birthDate: string;
  familyName?: string;
}

export interface NhsLoginDeps {
  keyRing: KeyRing;
  /** The issuer URL (`{base}/nhs-login`); a function because the port is known only after listening. */
  issuer: () => string;
  /** Looks a patient up in the loaded pack. */
  patients?: (nhsNumber: string) => PatientDemographics | undefined;
  clock?: Clock;
  logger?: Logger;
}

const PROOFING_LEVELS: readonly ProofingLevel[] = ['P0', 'P5', 'P9'];

interface MintRequest {
  nhsNumber?: unknown;
  birthDate?: unknown;
  proofingLevel?: unknown;
  expiresIn?: unknown;
  familyName?: unknown;
  audience?: unknown;
  azp?: unknown;
  unsigned?: unknown;
}

function oidcError(res: express.Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description });
}

/** Router to mount at `/nhs-login`. */
export function createNhsLoginRouter(deps: NhsLoginDeps): Router {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? silentLogger();
  const router = express.Router();

  router.get('/.well-known/openid-configuration', (_req, res) => {
    const iss = deps.issuer();
    res.json({
      issuer: iss,
      authorization_endpoint: `${iss}/authorize`,
      token_endpoint: `${iss}/token`,
      userinfo_endpoint: `${iss}/userinfo`,
      jwks_uri: `${iss}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS512'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      scopes_supported: ['openid', 'profile', 'email', 'phone', 'profile_extended'],
      claims_supported: [
        'iss',
        'sub',
        'aud',
        'exp',
        'iat',
        'jti',
        'nhs_number',
        'birthdate',
        'family_name',
        'identity_proofing_level',
        'vot',
        'vtm',
        'id_status',
        'token_use',
        'auth_time',
      ],
      vtr_values_supported: ['P0.Cp.Cd', 'P5.Cp.Cd', 'P9.Cp.Cd'],
    });
  });

  router.get('/.well-known/jwks.json', async (_req, res, next) => {
    try {
      res.set('Cache-Control', 'public, max-age=300').json(await deps.keyRing.jwks(NHS_LOGIN_KEY));
    } catch (e) {
      next(e);
    }
  });

  router.post('/_harness/id-token', jsonBody('16kb'), async (req, res, next) => {
    try {
      const body = (req.body ?? {}) as MintRequest;
      if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) {
        return oidcError(
          res,
          400,
          'invalid_request',
          'send a JSON object: {"nhsNumber": "...", "birthDate"?: "YYYY-MM-DD", "proofingLevel"?: "P9", "expiresIn"?: 3600}',
        );
      }
      const nhs = checkNhsNumber(body.nhsNumber);
      if (!nhs.valid) return oidcError(res, 400, 'invalid_request', `nhsNumber: ${nhs.message}`);
      const nhsNumber = body.nhsNumber as string;
      if (body.birthDate !== undefined && !isCalendarDate(body.birthDate)) {
        return oidcError(
          res,
          400,
          'invalid_request',
          `birthDate must be a date that exists, YYYY-MM-DD (got ${JSON.stringify(body.birthDate).slice(0, 40)})`,
        );
      }
      if (body.proofingLevel !== undefined && !PROOFING_LEVELS.includes(body.proofingLevel as ProofingLevel)) {
        return oidcError(res, 400, 'invalid_request', `proofingLevel must be one of ${PROOFING_LEVELS.join(', ')}`);
      }
      if (
        body.expiresIn !== undefined &&
        (typeof body.expiresIn !== 'number' || !Number.isInteger(body.expiresIn) || Math.abs(body.expiresIn) > 86_400)
      ) {
        return oidcError(
          res,
          400,
          'invalid_request',
          'expiresIn must be a whole number of seconds between -86400 and 86400 (negative mints an expired token)',
        );
      }
      if (body.familyName !== undefined && typeof body.familyName !== 'string')
        return oidcError(res, 400, 'invalid_request', 'familyName must be a string');
      const isName = (v: unknown) => typeof v === 'string' && v !== '';
      if (
        body.audience !== undefined &&
        !isName(body.audience) &&
        !(Array.isArray(body.audience) && body.audience.length > 0 && body.audience.every(isName))
      )
        return oidcError(res, 400, 'invalid_request', 'audience must be a client id or a non-empty array of them');
      if (body.azp !== undefined && !isName(body.azp))
        return oidcError(res, 400, 'invalid_request', 'azp must be a client id');
      if (body.unsigned !== undefined && typeof body.unsigned !== 'boolean')
        return oidcError(
          res,
          400,
          'invalid_request',
          'unsigned must be true or false (true mints an alg "none" token)',
        );

      const known = deps.patients?.(nhsNumber);
      const birthDate = (body.birthDate as string | undefined) ?? known?.birthDate;
      if (!birthDate) {
        return oidcError(
          res,
          404,
          'unknown_patient',
          `NHS number ${maskNhsNumber(nhsNumber)} is not in the loaded fixture pack; give "birthDate" to mint a token for any valid NHS number`,
        );
      }
      const key = await deps.keyRing.get(NHS_LOGIN_KEY);
      const { token, claims } = await mintIdToken(key, {
        issuer: deps.issuer(),
        nhsNumber,
        birthDate,
        familyName: (body.familyName as string | undefined) ?? known?.familyName,
        proofingLevel: body.proofingLevel as ProofingLevel | undefined,
        expiresIn: body.expiresIn as number | undefined,
        audience: body.audience as string | string[] | undefined,
        azp: body.azp as string | undefined,
        unsigned: body.unsigned === true,
        clock,
      });
      log.debug(
        { nhsNumber, proofing: claims.identity_proofing_level, under16: isUnder16(birthDate, clock.now()) },
        'minted NHS login ID token',
      );
      res.json({ id_token: token, token_type: 'id_token', expires_in: claims.exp - claims.iat, claims });
    } catch (e) {
      next(e);
    }
  });

  router.use(bodyErrorHandler((res, info) => oidcError(res, info.status, 'invalid_request', info.message)));
  return router;
}

/** A standalone app (for tests and for `check` when no platform is running). */
export function createNhsLoginApp(deps: NhsLoginDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(NHS_LOGIN_MOUNT, createNhsLoginRouter(deps));
  return app;
}
