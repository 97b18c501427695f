/**
 * Reading pact files and writing them in one canonical form. pact-js merges interactions into
 * whatever file it finds and stamps the versions of its native core into the metadata; the
 * committed pacts must change only when the contract does, so they are written normalised:
 * interactions sorted by description, keys sorted, tool versions dropped, two-space JSON.
 */
import { readFileSync } from 'node:fs';
import { ExitCode, HarnessError } from '../../core/errors';

export interface PactProviderState {
  name: string;
  params?: Record<string, unknown>;
}

export interface PactInteraction {
  description: string;
  providerStates?: PactProviderState[];
  request: {
    method: string;
    path: string;
    query?: Record<string, unknown>;
    headers?: Record<string, unknown>;
    body?: unknown;
    [k: string]: unknown;
  };
  response: { status: number; headers?: Record<string, unknown>; body?: unknown; [k: string]: unknown };
  [k: string]: unknown;
}

export interface PactDocument {
  consumer: { name: string };
  provider: { name: string };
  interactions: PactInteraction[];
  metadata: { pactSpecification?: { version?: string }; [k: string]: unknown };
}

export class PactFileError extends HarnessError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'PactFileError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks the parts of a pact this harness reads; anything else is left as it is. */
export function parsePact(raw: unknown, source: string): PactDocument {
  if (!isObject(raw)) throw new PactFileError(`${source} is not a pact: expected a JSON object`);
  const { consumer, provider, interactions } = raw;
  if (
    !isObject(consumer) ||
    typeof consumer.name !== 'string' ||
    !isObject(provider) ||
    typeof provider.name !== 'string'
  ) {
    throw new PactFileError(
      `${source} is not a pact: it needs "consumer": {"name": ...} and "provider": {"name": ...}`,
    );
  }
  if (!Array.isArray(interactions) || interactions.length === 0)
    throw new PactFileError(`${source} has no interactions`);
  const seen = new Set<string>();
  for (const [i, it] of interactions.entries()) {
    if (!isObject(it) || typeof it.description !== 'string' || !isObject(it.request) || !isObject(it.response)) {
      throw new PactFileError(`${source}: interaction ${i} needs a "description", a "request" and a "response"`);
    }
    if (it.type !== undefined && it.type !== 'Synchronous/HTTP')
      throw new PactFileError(
        `${source}: interaction "${it.description}" is ${String(it.type)}; only HTTP interactions can be verified here`,
      );
    if (seen.has(it.description))
      throw new PactFileError(
        `${source}: two interactions are described as "${it.description}"; descriptions must be unique`,
      );
    seen.add(it.description);
  }
  return { ...raw, metadata: isObject(raw.metadata) ? raw.metadata : {} } as PactDocument;
}

export function readPact(file: string): PactDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PactFileError(
      `cannot read pact file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new PactFileError(`pact file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parsePact(raw, file);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}

/** The canonical form: same contract, same bytes, whatever order the tests ran in. */
export function normalisePact(doc: PactDocument): PactDocument {
  const interactions = [...doc.interactions].sort((a, b) =>
    a.description < b.description ? -1 : a.description > b.description ? 1 : 0,
  );
  const spec = doc.metadata.pactSpecification;
  return sortKeys({ ...doc, interactions, metadata: spec ? { pactSpecification: spec } : {} }) as PactDocument;
}

export function renderPact(doc: PactDocument): string {
  return `${JSON.stringify(normalisePact(doc), null, 2)}\n`;
}

/** A state's text with its parameters, as reports show it. */
export function describeStates(i: PactInteraction): string | undefined {
  const states = i.providerStates ?? [];
  if (states.length === 0) return undefined;
  return states
    .map((s) => (s.params && Object.keys(s.params).length ? `${s.name} ${JSON.stringify(s.params)}` : s.name))
    .join('; ');
}
