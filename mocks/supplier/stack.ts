/**
 * The reference supplier with an NHS login mock beside it, both in-process on port 0: what tests
 * (this folder's and the check suites') need to drive a supplier over real HTTP with real tokens.
 */
import type { Clock } from '../../core/clock';
import { listen, type RunningServer } from '../../core/http';
import { KeyRing } from '../../core/keys';
import type { Logger } from '../../core/logger';
import type { ProofingLevel } from '../../core/tokens';
import { type FixturePack, PackIndex } from '../../fixtures/pack';
import { createNhsLoginApp, NHS_LOGIN_MOUNT } from '../nhs-login/app';
import { createSupplierApp, type SupplierDeps } from './app';

export const STACK_CLIENT_ID = 'pca-aggregator';
export const STACK_CLIENT_SECRET = 'reference-supplier-test-secret';

export interface IdTokenRequest {
  nhsNumber: string;
  birthDate?: string;
  proofingLevel?: ProofingLevel;
  expiresIn?: number;
  audience?: string | string[];
  azp?: string;
  unsigned?: boolean;
}

export interface SupplierStack {
  supplier: RunningServer;
  nhsLogin: RunningServer;
  issuer: string;
  /** The NHS login mock's key ring (to sign tokens the way NHS login would, or not). */
  keyRing: KeyRing;
  /** An ID token minted over HTTP by the NHS login mock. */
  idToken(req: IdTokenRequest): Promise<string>;
  /** An access token from the supplier's own `POST /oauth2/token` (client_secret_basic). */
  accessToken(): Promise<string>;
  close(): Promise<void>;
}

export interface StackOptions extends Partial<Omit<SupplierDeps, 'pack' | 'nhsLoginIssuer'>> {
  pack: FixturePack;
  clock?: Clock;
  logger?: Logger;
}

export async function startSupplierStack(opts: StackOptions): Promise<SupplierStack> {
  const keyRing = new KeyRing();
  const index = new PackIndex(opts.pack);
  let issuer = '';
  const nhsLogin = await listen(
    createNhsLoginApp({
      keyRing,
      issuer: () => issuer,
      patients: (n) => {
        const p = index.get(n);
        return p ? { birthDate: p.birthDate, familyName: p.name.family } : undefined;
      },
      clock: opts.clock,
    }),
  );
  issuer = `${nhsLogin.url}${NHS_LOGIN_MOUNT}`;
  let supplier: RunningServer;
  try {
    supplier = await listen(
      createSupplierApp({
        clientId: STACK_CLIENT_ID,
        clientSecret: STACK_CLIENT_SECRET,
        ...opts,
        nhsLoginIssuer: issuer,
      }),
    );
  } catch (e) {
    await nhsLogin.close();
    throw e;
  }
  const clientId = opts.clientId ?? STACK_CLIENT_ID;
  const clientSecret = opts.clientSecret ?? STACK_CLIENT_SECRET;

  return {
    supplier,
    nhsLogin,
    issuer,
    keyRing,
    async idToken(req) {
      const res = await fetch(`${issuer}/_harness/id-token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(req),
      });
      const body = (await res.json()) as { id_token?: string; error_description?: string };
      if (!res.ok || !body.id_token)
        throw new Error(`NHS login mock refused to mint: ${res.status} ${body.error_description ?? ''}`);
      return body.id_token;
    },
    async accessToken() {
      const res = await fetch(`${supplier.url}/oauth2/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || !body.access_token) throw new Error(`supplier token endpoint answered ${res.status}`);
      return body.access_token;
    },
    async close() {
      await Promise.all([supplier.close(), nhsLogin.close()]);
    },
  };
}
