/**
 * The Pact Broker / PactFlow HTTP API, the little of it the harness needs, with fetch (no extra
 * package): publish a consumer pact, tag or branch a version, fetch the latest pact for a pair and
 * publish verification results. Credentials come from the environment (PACT_BROKER_TOKEN, or
 * PACT_BROKER_USERNAME / PACT_BROKER_PASSWORD) and never appear in a message, a log or a report.
 */
import { fetchWithTimeout, type FetchResult } from '../../core/http';
import { redactText } from '../../core/redact';
import type { PactDocument } from './pact-file';
import { parsePact } from './pact-file';
import { ExitCode, HarnessError } from '../../core/errors';

export interface BrokerConfig {
  /** Without credentials or a trailing slash. */
  baseUrl: string;
  auth: { kind: 'token'; token: string } | { kind: 'basic'; username: string; password: string } | { kind: 'none' };
  timeoutMs?: number;
}

/** The broker is not configured (exit 2). */
export class BrokerConfigError extends HarnessError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'BrokerConfigError';
  }
}

/** The broker answered, but not with what was asked (exit 1). */
export class BrokerError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

export const BROKER_ENV = {
  url: 'PACT_BROKER_BASE_URL',
  token: 'PACT_BROKER_TOKEN',
  username: 'PACT_BROKER_USERNAME',
  password: 'PACT_BROKER_PASSWORD',
} as const;

/** A URL for messages: user-info stripped. */
export function displayUrl(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

export function brokerFromEnv(env: NodeJS.ProcessEnv, urlOverride?: string): BrokerConfig {
  const raw = urlOverride ?? env[BROKER_ENV.url];
  if (!raw)
    throw new BrokerConfigError(
      `set ${BROKER_ENV.url} to your Pact Broker or PactFlow URL (and ${BROKER_ENV.token}, or ${BROKER_ENV.username} and ${BROKER_ENV.password})`,
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BrokerConfigError(`${BROKER_ENV.url} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new BrokerConfigError(`${BROKER_ENV.url} must be an http(s) URL`);
  if (url.username || url.password)
    throw new BrokerConfigError(
      `put the broker credentials in ${BROKER_ENV.token} or ${BROKER_ENV.username}/${BROKER_ENV.password}, not in the URL`,
    );
  const token = env[BROKER_ENV.token];
  const username = env[BROKER_ENV.username];
  const password = env[BROKER_ENV.password];
  if (token && (username || password))
    throw new BrokerConfigError(
      `set either ${BROKER_ENV.token} or ${BROKER_ENV.username}/${BROKER_ENV.password}, not both`,
    );
  if ((username && !password) || (!username && password))
    throw new BrokerConfigError(`${BROKER_ENV.username} and ${BROKER_ENV.password} go together`);
  const auth: BrokerConfig['auth'] = token
    ? { kind: 'token', token }
    : username && password
      ? { kind: 'basic', username, password }
      : { kind: 'none' };
  return { baseUrl: url.toString().replace(/\/+$/, ''), auth };
}

function authHeader(cfg: BrokerConfig): Record<string, string> {
  if (cfg.auth.kind === 'token') return { Authorization: `Bearer ${cfg.auth.token}` };
  if (cfg.auth.kind === 'basic')
    return { Authorization: `Basic ${Buffer.from(`${cfg.auth.username}:${cfg.auth.password}`).toString('base64')}` };
  return {};
}

const seg = encodeURIComponent;

/** A message about a broker answer, with nothing secret in it (the broker may echo headers). */
function refusal(what: string, url: string, res: FetchResult): BrokerError {
  const body = res.text ? `: ${redactText(res.text.slice(0, 300))}` : '';
  const hint =
    res.status === 401 || res.status === 403
      ? ` (check ${BROKER_ENV.token} or ${BROKER_ENV.username}/${BROKER_ENV.password})`
      : '';
  return new BrokerError(`${what}: ${displayUrl(url)} answered ${res.status}${hint}${body}`, res.status);
}

async function send(
  cfg: BrokerConfig,
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  body?: unknown,
): Promise<FetchResult<Record<string, unknown>>> {
  return fetchWithTimeout<Record<string, unknown>>(url, {
    method,
    headers: {
      Accept: 'application/hal+json, application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...authHeader(cfg),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    timeoutMs: cfg.timeoutMs ?? 30_000,
  });
}

export interface PublishPactOptions {
  consumerVersion: string;
  branch?: string;
  tags?: string[];
}

export interface PublishedPact {
  consumer: string;
  provider: string;
  consumerVersion: string;
  url: string;
}

function checkVersion(name: string, v: string): void {
  if (!v.trim() || /[/\s]/.test(v))
    throw new BrokerConfigError(`${name} "${v}" must be non-empty, with no spaces or slashes`);
}

/**
 * `PUT /pacts/provider/{provider}/consumer/{consumer}/version/{version}`, then the version's branch
 * (`PUT /pacticipants/{consumer}/branches/{branch}/versions/{version}`) and tags.
 */
export async function publishPact(
  cfg: BrokerConfig,
  pact: PactDocument,
  opts: PublishPactOptions,
): Promise<PublishedPact> {
  checkVersion('the consumer version', opts.consumerVersion);
  const consumer = pact.consumer.name;
  const provider = pact.provider.name;
  const url = `${cfg.baseUrl}/pacts/provider/${seg(provider)}/consumer/${seg(consumer)}/version/${seg(opts.consumerVersion)}`;
  const res = await send(cfg, 'PUT', url, pact);
  if (res.status < 200 || res.status > 299)
    throw refusal(`publishing the ${consumer} -> ${provider} pact was refused`, url, res);
  if (opts.branch) {
    const b = `${cfg.baseUrl}/pacticipants/${seg(consumer)}/branches/${seg(opts.branch)}/versions/${seg(opts.consumerVersion)}`;
    const r = await send(cfg, 'PUT', b, {});
    if (r.status < 200 || r.status > 299)
      throw refusal(`recording branch "${opts.branch}" for ${consumer} ${opts.consumerVersion} was refused`, b, r);
  }
  for (const tag of opts.tags ?? []) {
    const t = `${cfg.baseUrl}/pacticipants/${seg(consumer)}/versions/${seg(opts.consumerVersion)}/tags/${seg(tag)}`;
    const r = await send(cfg, 'PUT', t, {});
    if (r.status < 200 || r.status > 299)
      throw refusal(`tagging ${consumer} ${opts.consumerVersion} "${tag}" was refused`, t, r);
  }
  return { consumer, provider, consumerVersion: opts.consumerVersion, url: displayUrl(url) };
}

export interface BrokerPact {
  pact: PactDocument;
  /** The pact's own URL at the broker. */
  url: string;
  /** Where verification results for this pact version go (`pb:publish-verification-results`). */
  publishResultsUrl: string;
}

function href(links: unknown, rel: string): string | undefined {
  const l = (links as Record<string, unknown> | undefined)?.[rel] as { href?: unknown } | undefined;
  return typeof l?.href === 'string' ? l.href : undefined;
}

/** `GET /pacts/provider/{provider}/consumer/{consumer}/latest`: the pact a verification should be published for. */
export async function fetchLatestPact(cfg: BrokerConfig, consumer: string, provider: string): Promise<BrokerPact> {
  const url = `${cfg.baseUrl}/pacts/provider/${seg(provider)}/consumer/${seg(consumer)}/latest`;
  const res = await send(cfg, 'GET', url);
  if (res.status === 404)
    throw new BrokerError(
      `the broker has no ${consumer} -> ${provider} pact yet: publish it first with \`pca-harness pact publish\``,
      404,
    );
  if (res.status !== 200 || !res.json)
    throw refusal(`fetching the latest ${consumer} -> ${provider} pact failed`, url, res);
  const { _links: links, ...rest } = res.json;
  const pact = parsePact(rest, displayUrl(url));
  const publishResultsUrl = href(links, 'pb:publish-verification-results');
  if (!publishResultsUrl)
    throw new BrokerError(
      `the pact at ${displayUrl(url)} has no pb:publish-verification-results link; is this a Pact Broker or PactFlow?`,
    );
  return { pact, url: href(links, 'self') ?? url, publishResultsUrl };
}

export interface VerificationResultInput {
  success: boolean;
  providerVersion: string;
  providerBranch?: string;
  buildUrl?: string;
  testResults: Array<{
    interactionDescription: string;
    success: boolean;
    mismatches?: Array<{ type: string; message: string }>;
  }>;
  verifiedBy: { implementation: string; version: string };
}

export interface PublishedResults {
  url: string;
  providerVersion: string;
  success: boolean;
}

/**
 * Publishes the outcome to the pact's `pb:publish-verification-results` link, after recording the
 * provider version's branch (`PUT /pacticipants/{provider}/branches/{branch}/versions/{version}`).
 */
export async function publishVerificationResults(
  cfg: BrokerConfig,
  target: BrokerPact,
  input: VerificationResultInput,
): Promise<PublishedResults> {
  checkVersion('the provider version', input.providerVersion);
  if (input.providerBranch) {
    const b = `${cfg.baseUrl}/pacticipants/${seg(target.pact.provider.name)}/branches/${seg(input.providerBranch)}/versions/${seg(input.providerVersion)}`;
    const r = await send(cfg, 'PUT', b, {});
    if (r.status < 200 || r.status > 299)
      throw refusal(
        `recording branch "${input.providerBranch}" for ${target.pact.provider.name} ${input.providerVersion} was refused`,
        b,
        r,
      );
  }
  const body = {
    success: input.success,
    providerApplicationVersion: input.providerVersion,
    ...(input.buildUrl ? { buildUrl: input.buildUrl } : {}),
    testResults: input.testResults,
    verifiedBy: input.verifiedBy,
  };
  const res = await send(cfg, 'POST', target.publishResultsUrl, body);
  if (res.status < 200 || res.status > 299)
    throw refusal('publishing the verification results was refused', target.publishResultsUrl, res);
  return {
    url: displayUrl(href(res.json?._links, 'self') ?? target.publishResultsUrl),
    providerVersion: input.providerVersion,
    success: input.success,
  };
}
