/**
 * Verifying a provider against a pact with the real Pact verifier (pact-js Verifier over the native
 * Pact core), and the supplier verification `pca-harness verify` runs:
 *
 * - provider states come from a StateSource (the fixture pack, or the supplier's own endpoint) and
 *   are handed to the verifier for `fromProviderState` (the patient's NHS number);
 * - a request filter replaces the pact's example credentials with real ones just before each
 *   request reaches the supplier: an access token from the supplier's token URL (or `--bearer`) and
 *   an NHS login ID token minted for the state's patient. A header the pact leaves out stays out
 *   (the "without a bearer token" interaction), and the "ID token of another patient" interaction
 *   (state parameter `idTokenFor`) gets a token for a different patient;
 * - the supplier's own paths replace the contract's `/Appointment`, `/DocumentReference`, `/Task`.
 *
 * The native verifier prints its own report to stdout as it goes; the structured result is parsed
 * into one outcome per interaction (verifier-results.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import { Verifier, type VerifierOptions } from '@pact-foundation/pact';
import type { StateHandlers as ProxyStateHandlers } from '@pact-foundation/pact/src/dsl/verifier/proxy/types';
import { type Clock, systemClock } from '../../core/clock';
import type { ProducerResourceType } from '../../core/fhir';
import { fetchWithTimeout } from '../../core/http';
import type { PackPatient } from '../../fixtures/pack';
import type { Credentials } from '../../suites/check';
import { type PactDocument, readPact } from './pact-file';
import { type StatePatient, StateError, type StateSource } from './states';
import { ANOTHER_PATIENT, contractPath, ID_TOKEN_PARAM } from './supplier-contract';
import { type InteractionOutcome, interactionOutcomes, parseVerifierJson, type Problem, stripAnsi, VerifierRunError } from './verifier-results';

/** Where pact-js's proxy receives the verifier's provider-state calls; never forwarded. */
const STATE_SETUP_PATH = '/_pactSetup';

/** HTTP provider state handlers (pact-js's options type also admits message-pact handlers). */
export type StateHandlers = ProxyStateHandlers;
export type RequestFilter = NonNullable<VerifierOptions['requestFilter']>;

export interface PactRun {
  pact: PactDocument;
  interactions: InteractionOutcome[];
  runProblems: Problem[];
  /** The verifier's own report, colours removed. */
  output: string[];
  durationMs: number;
}

export interface RunPactOptions {
  providerBaseUrl: string;
  pactFile: string;
  stateHandlers?: StateHandlers;
  requestFilter?: RequestFilter;
  /** Per-request timeout of the verifier, ms. */
  timeoutMs?: number;
  /** What the caller knows about a failed interaction (e.g. its provider state could not be set up). */
  explain?: (description: string) => Problem[];
}

/** One verification of one provider against one pact file. Throws only when the verifier cannot run. */
export async function runPactVerification(opts: RunPactOptions): Promise<PactRun> {
  const pact = readPact(opts.pactFile);
  const started = performance.now();
  let raw: unknown;
  try {
    raw = await new Verifier({
      provider: pact.provider.name,
      providerBaseUrl: opts.providerBaseUrl,
      pactUrls: [opts.pactFile],
      logLevel: 'error',
      timeout: opts.timeoutMs ?? 30_000,
      // VerifierOptions intersects HTTP and message-pact handler types; HTTP handlers are what the proxy calls.
      ...(opts.stateHandlers ? { stateHandlers: opts.stateHandlers as VerifierOptions['stateHandlers'] } : {}),
      ...(opts.requestFilter ? { requestFilter: opts.requestFilter } : {}),
    }).verifyProvider();
  } catch (e) {
    // A failed verification rejects with the JSON result as the message.
    raw = (e as Error)?.message;
    if (typeof raw !== 'string' || !raw.trimStart().startsWith('{')) throw new VerifierRunError(`the Pact verifier could not run: ${String(raw)}`);
  }
  const json = parseVerifierJson(raw);
  const { interactions, runProblems } = interactionOutcomes(pact, json, opts.explain);
  return { pact, interactions, runProblems, output: (json.output ?? []).flatMap((l) => stripAnsi(l).split('\n')), durationMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// The supplier

export interface VerifySupplierOptions {
  supplierUrl: string;
  /** Defaults to the shipped contracts/pacts/PCA-PCA-Supplier.json (the caller resolves it). */
  pactFile: string;
  /** The supplier's own paths where they differ from the contract's. */
  paths?: Partial<Record<ProducerResourceType, string>>;
  credentials: Credentials;
  states: StateSource;
  clock?: Clock;
  timeoutMs?: number;
  /** Called as each interaction's provider state is set up (progress). */
  onState?: (state: string, index: number) => void;
}

export interface SupplierVerification extends Omit<PactRun, 'pact'> {
  pact: { file: string; sha256: string; consumer: string; provider: string; interactions: number };
  supplierUrl: string;
  states: string;
  passed: boolean;
  verifiedAt: string;
  /** Problems outside any interaction (e.g. a credential could not be obtained mid-run). */
  notices: string[];
}

interface ActiveState {
  patient: StatePatient;
  other: StatePatient;
  idToken: 'own' | 'another patient';
}

function asPackPatient(p: StatePatient): PackPatient {
  return { nhsNumber: p.nhsNumber, birthDate: p.birthDate, name: { given: [], family: p.familyName ?? 'TESTPATIENT' }, flags: {}, expected: {} };
}

function stateKey(state: string, params: Record<string, unknown>): string {
  return `${state} ${JSON.stringify(params)}`;
}

/** Any HTTP answer proves the supplier is there; a connection failure throws UnreachableError (exit 3). */
export async function assertReachable(url: string): Promise<void> {
  await fetchWithTimeout(url, { method: 'GET', timeoutMs: 10_000 });
}

export async function verifySupplier(opts: VerifySupplierOptions): Promise<SupplierVerification> {
  const clock = opts.clock ?? systemClock;
  const verifiedAt = clock.now().toISOString();
  const pactText = readFileSync(opts.pactFile);
  const pact = readPact(opts.pactFile);
  await assertReachable(opts.supplierUrl);
  // A wrong secret is one clear message (exit 2), not eleven failed interactions.
  await opts.credentials.accessToken();

  const pathMap = new Map<string, string>();
  for (const [type, p] of Object.entries(opts.paths ?? {}) as Array<[ProducerResourceType, string | undefined]>) {
    if (p && p !== contractPath(type)) pathMap.set(contractPath(type), p);
  }

  let active: ActiveState | undefined;
  const stateProblems = new Map<string, string>();
  const notices: string[] = [];
  let setups = 0;

  const handlers: StateHandlers = {};
  const stateNames = new Set(pact.interactions.flatMap((i) => (i.providerStates ?? []).map((s) => s.name)));
  for (const name of stateNames) {
    handlers[name] = {
      setup: async (parameters) => {
        const params = (typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters : {}) as Record<string, unknown>;
        opts.onState?.(name, setups++);
        try {
          const resolved = await opts.states.setup(name, params);
          active = { patient: resolved.patient, other: resolved.other, idToken: params[ID_TOKEN_PARAM] === ANOTHER_PATIENT ? 'another patient' : 'own' };
          return resolved.values;
        } catch (e) {
          active = undefined;
          if (!(e instanceof StateError)) throw e;
          stateProblems.set(stateKey(name, params), e.message);
          return {};
        }
      },
      teardown: async (parameters) => {
        active = undefined;
        const params = (typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters : {}) as Record<string, unknown>;
        await opts.states.teardown(name, params);
        return undefined;
      },
    };
  }

  const idTokenFor = async (s: ActiveState): Promise<string | undefined> => {
    const minted = s.idToken === 'another patient'
      ? await opts.credentials.idToken({ kind: 'other-patient', patient: asPackPatient(s.patient), other: asPackPatient(s.other) })
      : await opts.credentials.idToken({ kind: 'valid', patient: asPackPatient(s.patient) });
    if ('unavailable' in minted) {
      notices.push(`no ID token could be minted: ${minted.unavailable}`);
      return undefined;
    }
    return minted.token;
  };

  const requestFilter: RequestFilter = (req: Request, _res: Response, next: NextFunction) => {
    if (req.path === STATE_SETUP_PATH) return next();
    const rewrite = async () => {
      const mapped = pathMap.get(req.path);
      if (mapped) {
        const q = req.url.indexOf('?');
        req.url = `${mapped}${q >= 0 ? req.url.slice(q) : ''}`;
      }
      // Only credentials the pact sends are replaced: an interaction without a bearer stays without one.
      if (req.headers.authorization !== undefined) req.headers.authorization = `Bearer ${await opts.credentials.accessToken()}`;
      if (req.headers['nhsd-id-token'] !== undefined && active) {
        const token = await idTokenFor(active);
        if (token) req.headers['nhsd-id-token'] = token;
      }
    };
    rewrite().then(() => next(), (e: unknown) => {
      notices.push(`credentials for a request could not be obtained: ${(e as Error)?.message ?? String(e)}`);
      next();
    });
  };

  const explain = (description: string): Problem[] => {
    const interaction = pact.interactions.find((i) => i.description === description);
    return (interaction?.providerStates ?? [])
      .map((s) => stateProblems.get(stateKey(s.name, s.params ?? {})))
      .filter((m): m is string => Boolean(m))
      .map((message) => ({ type: 'state', message }));
  };

  const run = await runPactVerification({
    providerBaseUrl: opts.supplierUrl,
    pactFile: opts.pactFile,
    stateHandlers: handlers,
    requestFilter,
    timeoutMs: opts.timeoutMs,
    explain,
  });
  const passed = run.runProblems.length === 0 && run.interactions.every((i) => i.outcome === 'passed');
  return {
    ...run,
    pact: {
      file: opts.pactFile,
      sha256: createHash('sha256').update(pactText).digest('hex'),
      consumer: pact.consumer.name,
      provider: pact.provider.name,
      interactions: pact.interactions.length,
    },
    supplierUrl: opts.supplierUrl,
    states: opts.states.description,
    passed,
    verifiedAt,
    notices: [...new Set(notices)],
  };
}
