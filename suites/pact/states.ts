/**
 * Provider states for verifying a supplier: which patient each state means, so the verifier can put
 * that patient's NHS number into the request (`fromProviderState`) and mint an ID token with their
 * date of birth. Two sources:
 *
 * - the fixture pack (the default, or `--pack`): the harness picks the patients by looking at the
 *   pack's data, as the conformance checks do (suites/checks/roster.ts), for suppliers that loaded the pack;
 * - the supplier's own provider-state endpoint (`--provider-states-url`): the standard Pact
 *   provider-state call, for suppliers testing against their own test data (docs/pact.md).
 */
import { type Clock, systemClock } from '../../core/clock';
import { fetchWithTimeout, TimeoutError, UnreachableError } from '../../core/http';
import { checkNhsNumber, generateNhsNumbers, maskNhsNumber } from '../../core/nhs-number';
import { redactText } from '../../core/redact';
import type { FixturePack, PackPatient } from '../../fixtures/pack';
import { chooseRoster } from '../checks/roster';
import { SUPPLIER_STATE_NAMES, SUPPLIER_STATES } from '../../contracts/pact/supplier-contract';

export interface StatePatient {
  nhsNumber: string;
  /** `YYYY-MM-DD`: ID tokens carry it, and suppliers cross-check it (WF-NFR-14). */
  birthDate: string;
  familyName?: string;
}

export interface ResolvedState {
  patient: StatePatient;
  /** A different patient whose ID token a mismatch interaction presents. */
  other: StatePatient;
  /** What `fromProviderState` expressions may use (`nhsNumber`, `birthDate`, and anything the supplier returned). */
  values: Record<string, string | number | boolean>;
}

export interface StateSource {
  /** For reports: where the states come from. */
  readonly description: string;
  setup(state: string, params: Record<string, unknown>): Promise<ResolvedState>;
  teardown(state: string, params: Record<string, unknown>): Promise<void>;
}

/** A state could not be set up; the interactions that need it fail with this message. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function packPatientData(p: PackPatient): StatePatient {
  return { nhsNumber: p.nhsNumber, birthDate: p.birthDate, familyName: p.name.family };
}

/** Any valid synthetic NHS number other than `nhsNumber`, for a token that belongs to someone else. */
export function otherNhsNumber(nhsNumber: string): string {
  return generateNhsNumbers(2, 1, '999').find((n) => n !== nhsNumber)!;
}

/** States resolved from a fixture pack, for the day `clock` says it is (ages move with the calendar). */
export function packStates(pack: FixturePack, clock: Clock = systemClock): StateSource {
  const roster = chooseRoster(pack, clock.now());
  const byState: Record<string, { patient?: PackPatient; role: string }> = {
    [SUPPLIER_STATES.withAppointments]: {
      patient: roster.withData.Appointment,
      role: 'an eligible patient with at least one appointment',
    },
    [SUPPLIER_STATES.withDocuments]: {
      patient: roster.withData.DocumentReference,
      role: 'an eligible patient with at least one document',
    },
    [SUPPLIER_STATES.withTasks]: {
      patient: roster.withData.Task,
      role: 'an eligible patient with at least one task (questionnaire)',
    },
    [SUPPLIER_STATES.withNothing]: {
      patient: roster.withNothing,
      role: 'an eligible patient with no appointments, documents or tasks',
    },
    [SUPPLIER_STATES.under16]: { patient: roster.under16, role: 'a patient under 16' },
  };
  return {
    description: `fixture pack "${pack.name}"`,
    async setup(state) {
      const entry = byState[state];
      if (!entry)
        throw new StateError(
          `the fixture pack cannot set up state "${state}"; it knows ${SUPPLIER_STATE_NAMES.map((s) => `"${s}"`).join(', ')}. Use --provider-states-url for a pact with other states.`,
        );
      if (!entry.patient)
        throw new StateError(`state "${state}" needs ${entry.role}, and pack "${pack.name}" has none`);
      const patient = packPatientData(entry.patient);
      const otherPatient = roster.other(entry.patient);
      const other = otherPatient
        ? packPatientData(otherPatient)
        : { nhsNumber: otherNhsNumber(patient.nhsNumber), birthDate: patient.birthDate };
      return { patient, other, values: { nhsNumber: patient.nhsNumber, birthDate: patient.birthDate } };
    },
    async teardown() {},
  };
}

export interface RemoteStateOptions {
  timeoutMs?: number;
}

/**
 * States set up by the supplier's own endpoint: `POST {url}` with the standard Pact body
 * `{"state", "params", "action": "setup"|"teardown"}`; the setup answer is a JSON object with at
 * least `nhsNumber` and `birthDate` of the patient the supplier set up for that state.
 */
export function remoteStates(url: string, opts: RemoteStateOptions = {}): StateSource {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const call = async (state: string, params: Record<string, unknown>, action: 'setup' | 'teardown') => {
    try {
      return await fetchWithTimeout<Record<string, unknown>>(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ state, params, action }),
        timeoutMs,
      });
    } catch (e) {
      if (e instanceof UnreachableError || e instanceof TimeoutError)
        throw new StateError(`the provider-state endpoint ${url} could not be reached for "${state}": ${e.message}`);
      throw e;
    }
  };
  return {
    description: `provider-state endpoint ${url}`,
    async setup(state, params) {
      const res = await call(state, params, 'setup');
      if (res.status < 200 || res.status > 299) {
        throw new StateError(
          `the provider-state endpoint answered ${res.status} to the setup of "${state}": ${redactText(res.text.slice(0, 300)) || '(no body)'}`,
        );
      }
      const body =
        res.json ??
        (() => {
          try {
            return JSON.parse(res.text) as unknown;
          } catch {
            return undefined;
          }
        })();
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new StateError(
          `the provider-state endpoint must answer the setup of "${state}" with a JSON object like {"nhsNumber": "9000000009", "birthDate": "1970-01-01"}`,
        );
      }
      const b = body as Record<string, unknown>;
      const nhs = checkNhsNumber(b.nhsNumber);
      if (!nhs.valid)
        throw new StateError(
          `the provider-state endpoint's answer for "${state}" has no usable "nhsNumber": ${nhs.message}`,
        );
      const nhsNumber = b.nhsNumber as string;
      if (typeof b.birthDate !== 'string' || !DATE.test(b.birthDate)) {
        throw new StateError(
          `the provider-state endpoint's answer for "${state}" (patient ${maskNhsNumber(nhsNumber)}) needs "birthDate" as YYYY-MM-DD: the NHS login ID token carries it and your API cross-checks it`,
        );
      }
      const values: Record<string, string | number | boolean> = {};
      for (const [k, v] of Object.entries(b))
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') values[k] = v;
      const familyName = typeof b.familyName === 'string' ? b.familyName : undefined;
      const patient: StatePatient = { nhsNumber, birthDate: b.birthDate, ...(familyName ? { familyName } : {}) };
      return { patient, other: { nhsNumber: otherNhsNumber(nhsNumber), birthDate: b.birthDate }, values };
    },
    async teardown(state, params) {
      // Teardown is a courtesy to the supplier's test data; a failure must not fail the contract.
      await call(state, params, 'teardown').catch(() => undefined);
    },
  };
}
