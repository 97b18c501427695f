/**
 * Verifying a provider against a pact with the real Pact verifier, and the supplier verification
 * `pca-harness verify` runs:
 *
 * - provider states come from a StateSource (the fixture pack, or the supplier's own endpoint) and
 *   are handed to the verifier for `fromProviderState` (the patient's NHS number);
 * - a request filter replaces the pact's example credentials with real ones just before each
 *   request reaches the supplier: an access token from the supplier's token URL (or `--bearer`) and
 *   an NHS login ID token minted for the state's patient. A header the pact leaves out stays out
 *   (the "without an OAuth access token" interaction), and the "ID token of another patient" interaction
 *   (state parameter `idTokenFor`) gets a token for a different patient;
 * - the supplier's own paths replace the contract's `/Appointment`, `/DocumentReference`, `/Task`.
 *
 * How it runs: pact-js's verification proxy (the one its Verifier uses, with our `stateHandlers`
 * and `requestFilter`) runs in this process; the native Pact verifier runs in a short-lived child
 * process pointed at that proxy. The native verifier prints its report straight to stdout, response
 * bodies and all; in a child process that output is captured, so it can be redacted (NHS numbers)
 * before anyone sees it, and it does not interleave with the harness's own output. The child gets a
 * clean environment: PACT_BROKER_* and PACT_DESCRIPTION-style variables would otherwise make the
 * native verifier fetch other pacts, publish, or skip interactions behind the harness's back.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { createProxy, waitForServerReady } from '@pact-foundation/pact/src/dsl/verifier/proxy';
import type {
  ProxyOptions,
  StateHandlers as ProxyStateHandlers,
} from '@pact-foundation/pact/src/dsl/verifier/proxy/types';
import { type Clock, systemClock } from '../../core/clock';
import type { ProducerResourceType } from '../../core/fhir';
import { fetchWithTimeout } from '../../core/http';
import { redactText } from '../../core/redact';
import type { PackPatient } from '../../fixtures/pack';
import type { Credentials } from '../checks/check';
import { EXAMPLE_NHS_NUMBER } from '../../contracts/pact/contract';
import { type PactDocument, readPact } from '../../contracts/pact/pact-file';
import { type StatePatient, StateError, type StateSource } from './states';
import { ANOTHER_PATIENT, contractPath, ID_TOKEN_PARAM } from '../../contracts/pact/supplier-contract';
import {
  type InteractionOutcome,
  interactionOutcomes,
  parseVerifierJson,
  type Problem,
  stripAnsi,
  VerifierRunError,
} from './verifier-results';

/** Where the proxy receives the verifier's provider-state calls; never forwarded to the provider. */
const STATE_SETUP_PATH = '/_pactSetup';
const MESSAGES_PATH = '/_messages';

export type StateHandlers = ProxyStateHandlers;
export type RequestFilter = NonNullable<ProxyOptions['requestFilter']>;

export interface PactRun {
  pact: PactDocument;
  interactions: InteractionOutcome[];
  runProblems: Problem[];
  /** The verifier's own report, colours removed and NHS numbers masked. */
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

/** Variables the native verifier reads on its own; the child process runs without them. */
const VERIFIER_ENV =
  /^(PACT_BROKER_|PACT_DESCRIPTION$|PACT_PROVIDER_STATE$|PACT_PROVIDER_NO_STATE$|PACT_DO_NOT_TRACK$)/;

/** The child: run pact-core's verifier with the options given, write what it returned to a file. */
const CHILD = `
const fs = require('node:fs');
const core = require(process.env.PCA_HARNESS_PACT_CORE);
const pact = core.default || core;
pact.logLevel('error');
const verify = pact.verifyPacts;
const done = (v) => { fs.writeFileSync(process.env.PCA_HARNESS_PACT_RESULT, JSON.stringify(v)); };
verify.call(pact, JSON.parse(process.env.PCA_HARNESS_PACT_OPTIONS)).then(
  (value) => done({ ok: true, value }),
  (e) => done({ ok: false, value: String((e && e.message) || e) }),
);
`;

interface ChildResult {
  ok: boolean;
  value: unknown;
}

async function runNativeVerifier(
  options: Record<string, unknown>,
  timeoutMs: number,
): Promise<{ result: ChildResult; output: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-verifier-'));
  const resultFile = path.join(dir, 'result.json');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!VERIFIER_ENV.test(k)) env[k] = v;
  Object.assign(env, {
    NO_COLOR: '1',
    PACT_DO_NOT_TRACK: '1',
    PCA_HARNESS_PACT_CORE: require.resolve('@pact-foundation/pact-core'),
    PCA_HARNESS_PACT_OPTIONS: JSON.stringify(options),
    PCA_HARNESS_PACT_RESULT: resultFile,
  });
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
    let result: ChildResult;
    try {
      result = JSON.parse(readFileSync(resultFile, 'utf8')) as ChildResult;
    } catch {
      throw new VerifierRunError(
        `the Pact verifier stopped without a result${output ? `: ${redactText(stripAnsi(output)).slice(-500)}` : ''}`,
      );
    }
    return { result, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One verification of one provider against one pact file. Throws only when the verifier cannot run. */
export async function runPactVerification(opts: RunPactOptions): Promise<PactRun> {
  const pact = readPact(opts.pactFile);
  const started = performance.now();
  const proxy = createProxy(
    {
      providerBaseUrl: opts.providerBaseUrl,
      logLevel: 'error',
      validateSSL: true,
      changeOrigin: !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(opts.providerBaseUrl),
      ...(opts.stateHandlers ? { stateHandlers: opts.stateHandlers } : {}),
      ...(opts.requestFilter ? { requestFilter: opts.requestFilter } : {}),
    },
    STATE_SETUP_PATH,
    MESSAGES_PATH,
  );
  try {
    await waitForServerReady(proxy);
    const port = (proxy.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}`;
    const perRequest = opts.timeoutMs ?? 30_000;
    const { result, output } = await runNativeVerifier(
      {
        provider: pact.provider.name,
        providerBaseUrl: base,
        providerStatesSetupUrl: `${base}${STATE_SETUP_PATH}`,
        pactUrls: [path.resolve(opts.pactFile)],
        logLevel: 'error',
        timeout: perRequest,
      },
      perRequest * (pact.interactions.length + 2) + 30_000,
    );
    // A failed verification rejects with the JSON result as its message; anything else means it could not run.
    if (!result.ok && (typeof result.value !== 'string' || !result.value.trimStart().startsWith('{'))) {
      throw new VerifierRunError(`the Pact verifier could not run: ${redactText(stripAnsi(String(result.value)))}`);
    }
    const json = parseVerifierJson(result.value);
    const { interactions, runProblems } = interactionOutcomes(pact, json, opts.explain);
    const lines = stripAnsi(output).split('\n').map(redactText);
    while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
    return { pact, interactions, runProblems, output: lines, durationMs: performance.now() - started };
  } finally {
    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      proxy.closeAllConnections();
    });
  }
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
  return {
    nhsNumber: p.nhsNumber,
    birthDate: p.birthDate,
    name: { given: [], family: p.familyName ?? 'TESTPATIENT' },
    flags: {},
    expected: {},
  };
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
  const pact = readPact(opts.pactFile);
  const pactText = readFileSync(opts.pactFile);
  await assertReachable(opts.supplierUrl);
  // A wrong secret or an NHS login that will not mint is one clear message, not eleven failed interactions.
  await opts.credentials.accessToken();
  await opts.credentials.idToken({
    kind: 'valid',
    patient: asPackPatient({ nhsNumber: EXAMPLE_NHS_NUMBER, birthDate: '1970-01-01' }),
  });

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
        const params = (
          typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters : {}
        ) as Record<string, unknown>;
        opts.onState?.(name, setups++);
        try {
          const resolved = await opts.states.setup(name, params);
          active = {
            patient: resolved.patient,
            other: resolved.other,
            idToken: params[ID_TOKEN_PARAM] === ANOTHER_PATIENT ? 'another patient' : 'own',
          };
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
        const params = (
          typeof parameters === 'object' && parameters !== null && !Array.isArray(parameters) ? parameters : {}
        ) as Record<string, unknown>;
        await opts.states.teardown(name, params);
        return undefined;
      },
    };
  }

  const idTokenFor = async (s: ActiveState): Promise<string | undefined> => {
    const minted =
      s.idToken === 'another patient'
        ? await opts.credentials.idToken({
            kind: 'other-patient',
            patient: asPackPatient(s.patient),
            other: asPackPatient(s.other),
          })
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
      if (req.headers.authorization !== undefined)
        req.headers.authorization = `Bearer ${await opts.credentials.accessToken()}`;
      if (req.headers['nhsd-id-token'] !== undefined && active) {
        const token = await idTokenFor(active);
        if (token) req.headers['nhsd-id-token'] = token;
      }
    };
    rewrite().then(
      () => next(),
      (e: unknown) => {
        notices.push(`credentials for a request could not be obtained: ${(e as Error)?.message ?? String(e)}`);
        next();
      },
    );
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
