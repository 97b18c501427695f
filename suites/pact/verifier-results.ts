/**
 * Turns the Pact verifier's JSON result (pact_ffi `pactffi_verifier_json`) into one outcome per
 * interaction of the pact, with each mismatch as a problem a person can read. Every text that may
 * hold a response excerpt is redacted: a supplier's body can carry NHS numbers.
 */
import { redactText } from '../../core/redact';
import { describeStates, type PactDocument } from '../../contracts/pact/pact-file';

export interface Problem {
  /** `status`, `header`, `body`, `body-type`, `state`, `error`, ... */
  type: string;
  message: string;
  /** JSON path of a body mismatch, or the header name. */
  where?: string;
  expected?: string;
  actual?: string;
}

export interface InteractionOutcome {
  description: string;
  /** The provider state(s), with parameters, as the pact names them. */
  state?: string;
  outcome: 'passed' | 'failed';
  problems: Problem[];
  durationMs?: number;
}

interface RawMismatch {
  type?: string;
  mismatch?: string;
  message?: string;
  path?: string;
  key?: string;
  expected?: unknown;
  actual?: unknown;
}

interface RawError {
  interaction?: string;
  mismatch?: { type?: string; message?: string; mismatches?: RawMismatch[] };
}

export interface VerifierJson {
  result?: boolean;
  errors?: RawError[];
  pendingErrors?: RawError[];
  interactionResults?: Array<{ description?: string; result?: string; duration?: string }>;
  output?: string[];
  notices?: unknown[];
}

/** The verifier could not run at all (bad pact, crash): no per-interaction results. */
export class VerifierRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifierRunError';
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** The JSON the verifier produced, from its resolved value or the message of its rejection. */
export function parseVerifierJson(text: unknown): VerifierJson {
  if (typeof text !== 'string') throw new VerifierRunError(`the Pact verifier returned no result (${typeof text})`);
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as VerifierJson;
  } catch {
    // not JSON: the verifier failed before it verified anything
  }
  throw new VerifierRunError(`the Pact verifier could not run: ${redactText(stripAnsi(text)).slice(0, 500)}`);
}

const TYPE_NAMES: Record<string, string> = {
  StatusMismatch: 'status',
  HeaderMismatch: 'header',
  BodyMismatch: 'body',
  BodyTypeMismatch: 'body-type',
  QueryMismatch: 'query',
  PathMismatch: 'path',
  MethodMismatch: 'method',
  MetadataMismatch: 'metadata',
};

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return redactText(stripAnsi(s)).slice(0, 2000);
}

function problemOf(m: RawMismatch): Problem {
  const type = TYPE_NAMES[m.type ?? ''] ?? (m.type ?? 'mismatch').toLowerCase();
  const where = m.path ?? m.key;
  const expected = text(m.expected);
  const actualText = text(m.actual);
  // The verifier reports a missing header or body as an empty actual value.
  const actual = actualText === '' || actualText === '""' ? '(none)' : actualText;
  return {
    type,
    message: text(m.mismatch ?? m.message) ?? `${type} mismatch`,
    ...(where ? { where } : {}),
    ...(expected !== undefined ? { expected } : {}),
    ...(actual !== undefined ? { actual } : {}),
  };
}

function problemsOf(e: RawError): Problem[] {
  const m = e.mismatch;
  if (!m) return [{ type: 'error', message: 'the verifier reported a failure without details' }];
  if (m.mismatches?.length) return m.mismatches.map(problemOf);
  return [
    {
      type: m.type === 'error' ? 'error' : (m.type ?? 'error'),
      message: text(m.message) ?? 'the verifier reported a failure without details',
    },
  ];
}

function millis(d: string | undefined): number | undefined {
  if (!d) return undefined;
  const m = /^([\d.]+)(ms|s|µs|us|ns)$/.exec(d.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'ms' ? n : m[2] === 'ns' ? n / 1e6 : n / 1000;
}

export interface VerificationOutcomes {
  interactions: InteractionOutcome[];
  /** Failures the verifier did not tie to an interaction of this pact. */
  runProblems: Problem[];
}

/**
 * One outcome per interaction, in pact order. The verifier names a failed interaction as
 * "Verifying a pact between C and P Given S - description"; the longest description it ends with
 * is the one (descriptions are unique within a pact). `extra` adds what the harness knows about a
 * failed interaction (e.g. why its provider state could not be set up).
 */
export function interactionOutcomes(
  pact: PactDocument,
  result: VerifierJson,
  extra: (description: string) => Problem[] = () => [],
): VerificationOutcomes {
  const byLength = [...pact.interactions].sort((a, b) => b.description.length - a.description.length);
  const problems = new Map<string, Problem[]>();
  const runProblems: Problem[] = [];
  for (const e of [...(result.errors ?? []), ...(result.pendingErrors ?? [])]) {
    const label = e.interaction ?? '';
    const match = byLength.find((i) => label === i.description || label.endsWith(` - ${i.description}`));
    if (!match) {
      runProblems.push(...problemsOf(e));
      continue;
    }
    problems.set(match.description, [...(problems.get(match.description) ?? []), ...problemsOf(e)]);
  }
  const ran = new Map((result.interactionResults ?? []).map((r) => [r.description ?? '', r]));
  const interactions = pact.interactions.map((i): InteractionOutcome => {
    const own = problems.get(i.description) ?? [];
    const r = ran.get(i.description);
    if (own.length === 0 && result.interactionResults && !r)
      own.push({ type: 'error', message: 'the verifier did not run this interaction' });
    if (own.length === 0 && r?.result !== undefined && !/^(success|ok|pass)/i.test(r.result))
      own.push({ type: 'error', message: `the verifier reported "${r.result}" without details` });
    const all = own.length ? [...own, ...extra(i.description)] : own;
    const state = describeStates(i);
    const durationMs = millis(r?.duration);
    return {
      description: i.description,
      ...(state ? { state } : {}),
      outcome: all.length ? 'failed' : 'passed',
      problems: all,
      ...(durationMs !== undefined ? { durationMs } : {}),
    };
  });
  if (result.result === false && runProblems.length === 0 && interactions.every((i) => i.outcome === 'passed')) {
    runProblems.push({ type: 'error', message: 'the verifier reported a failure it did not tie to any interaction' });
  }
  return { interactions, runProblems };
}
