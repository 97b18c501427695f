/**
 * `pca-harness.config.json` + `PCA_HARNESS_*` environment overrides, validated by one schema with
 * errors that name the key. Every section has defaults, so no config file is needed for the demo.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { NhsNumberRange } from './nhs-number';
import { DEFAULT_SYNTHETIC_RANGES } from './nhs-number';
import type { ProducerResourceType } from './fhir';
import { validateAgainst, formatDiagnostic } from './schema';
import { ExitCode, HarnessError } from './errors';
import type { SupplierAccess } from './access';

export type Mode = 'strict' | 'int';
export type Profile = 'int' | 'prod';

export interface SupplierEndpoint {
  /** Base URL of the supplier's API, e.g. `http://127.0.0.1:7171`. */
  url: string;
  /** Path of the resource endpoint, default `/Appointment`, `/DocumentReference` or `/Task`. */
  path?: string;
  auth: SupplierAccess;
}

export interface ClientConfig {
  clientId: string;
  /** API key the client presents as `Authorization: Bearer <key>` to the Record Service. */
  apiKey?: string;
  resourceType: ProducerResourceType;
  /** Public JWKS (inline) for the API-platform OAuth signed-JWT client credentials flow. */
  jwks?: { keys: Array<Record<string, unknown>> };
  /** Where the aggregator pulls from once onboarded. */
  endpoint?: SupplierEndpoint;
  /** As INT does: pulls only after the supplier's contract checks passed (`check` records a pass). */
  requireContractPass?: boolean;
  faults?: FaultConfig;
}

export interface FaultConfig {
  /** Fraction 0..1 of calls answered with each status. */
  errorRates?: Partial<Record<'500' | '503' | '504', number>>;
  latencyMs?: number;
  /** Fraction 0..1 of calls that hang for the Record Service's 30 s timeout and then answer 504. */
  timeoutRate?: number;
  seed?: number;
}

/** The consumer business rules' lists (consumer spec examples: AGGBR23, AGGBR30, AGGBR34). */
export interface BusinessRuleConfig {
  /** AGGBR30: records dated more than this many years in the past are rejected (default 8). */
  maxRecordAgeYears?: number;
  /** AGGBR23: waiting-list entries from these ODS codes are excluded (default `['TST']`). */
  waitingListExcludedOds?: string[];
  /** AGGBR34: PIFU questionnaires from these ODS codes are rejected (default `['TST']`). */
  questionnaireExcludedOds?: string[];
}

export interface AggregatorConfig {
  rateLimit?: number;
  requestTimeoutMs?: number;
  upstreamTimeoutMs?: number;
  /**
   * Bearer tokens the consumer API accepts (`Authorization: Bearer ...`). Empty or absent: any
   * non-empty token, since verifying the API platform's token is not the mock's job.
   */
  consumerTokens?: string[];
  businessRules?: BusinessRuleConfig;
}

export interface HarnessConfig {
  stateDir: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  syntheticRanges: NhsNumberRange[];
  /** Fixture pack file; empty means the embedded default pack. */
  pack: string;
  platform: {
    host: string;
    port: number;
    /** URL other parties use to reach the platform; derived from host and port when empty. */
    publicUrl: string;
    mode: Mode;
    profile: Profile;
    pullRate: number;
    /** Consumer API limits; each defaults to the consumer spec's value (60 TPS, 10 s, and the producer's 9 s). */
    aggregator?: AggregatorConfig;
    clients: ClientConfig[];
    /**
     * Bearer token for the `/_harness` admin routes. Required from callers when the platform listens
     * beyond loopback; empty means generated into `<stateDir>/admin-token` when needed. Clients
     * (explain, reconcile, check, replay, load) send it from here, `--admin-token` or that file.
     */
    adminToken?: string;
    /** Host names (besides loopback, the bind address and publicUrl's) the admin routes answer to. */
    allowedHosts?: string[];
  };
  supplier: {
    host: string;
    port: number;
    publicUrl: string;
    nhsLoginIssuer: string;
    clientId: string;
    clientSecret: string;
    paths: { appointments: string; documents: string; tasks: string };
    portalBaseUrl: string;
  };
}

export const DEFAULT_CONFIG: HarnessConfig = {
  stateDir: '.pca-harness',
  logLevel: 'info',
  syntheticRanges: [...DEFAULT_SYNTHETIC_RANGES],
  pack: '',
  platform: {
    host: '127.0.0.1',
    port: 7070,
    publicUrl: '',
    mode: 'strict',
    profile: 'int',
    pullRate: 25,
    clients: [],
  },
  supplier: {
    host: '127.0.0.1',
    port: 7171,
    publicUrl: '',
    nhsLoginIssuer: 'http://127.0.0.1:7070/nhs-login',
    clientId: 'pca-aggregator',
    clientSecret: 'pca-harness-local-secret',
    paths: { appointments: '/Appointment', documents: '/DocumentReference', tasks: '/Task' },
    portalBaseUrl: 'https://portal.example.nhs.uk',
  },
};

const urlOrEmpty = { type: 'string', anyOf: [{ const: '' }, { format: 'uri', pattern: '^https?://' }] };
const pathString = { type: 'string', pattern: '^/[^?#]*$' };

export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    stateDir: { type: 'string', minLength: 1 },
    logLevel: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] },
    pack: { type: 'string' },
    syntheticRanges: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['from', 'to'],
        properties: {
          from: { type: 'string', pattern: '^[0-9]{10}$' },
          to: { type: 'string', pattern: '^[0-9]{10}$' },
          label: { type: 'string' },
        },
      },
    },
    platform: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        publicUrl: urlOrEmpty,
        mode: { enum: ['strict', 'int'] },
        profile: { enum: ['int', 'prod'] },
        pullRate: { type: 'number', exclusiveMinimum: 0, maximum: 10000 },
        adminToken: { type: 'string' },
        allowedHosts: { type: 'array', items: { type: 'string', minLength: 1 } },
        aggregator: {
          type: 'object',
          additionalProperties: false,
          properties: {
            rateLimit: { type: 'integer', minimum: 1, maximum: 100000 },
            requestTimeoutMs: { type: 'integer', minimum: 1, maximum: 600000 },
            upstreamTimeoutMs: { type: 'integer', minimum: 1, maximum: 600000 },
            consumerTokens: { type: 'array', items: { type: 'string', minLength: 1, pattern: '^\\S+$' } },
            businessRules: {
              type: 'object',
              additionalProperties: false,
              properties: {
                maxRecordAgeYears: { type: 'integer', minimum: 1, maximum: 200 },
                waitingListExcludedOds: { type: 'array', items: { type: 'string', pattern: '^[A-Z0-9]{2,10}$' } },
                questionnaireExcludedOds: { type: 'array', items: { type: 'string', pattern: '^[A-Z0-9]{2,10}$' } },
              },
            },
          },
        },
        clients: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['clientId', 'resourceType'],
            properties: {
              clientId: { type: 'string', minLength: 1 },
              apiKey: { type: 'string', minLength: 8 },
              resourceType: { enum: ['Appointment', 'DocumentReference', 'Task'] },
              jwks: {
                type: 'object',
                required: ['keys'],
                properties: { keys: { type: 'array', items: { type: 'object' } } },
              },
              requireContractPass: { type: 'boolean' },
              endpoint: {
                type: 'object',
                additionalProperties: false,
                required: ['url', 'auth'],
                properties: {
                  url: { type: 'string', format: 'uri', pattern: '^https?://' },
                  path: pathString,
                  auth: {
                    oneOf: [
                      {
                        type: 'object',
                        additionalProperties: false,
                        required: ['type', 'tokenUrl', 'clientId', 'clientSecret'],
                        properties: {
                          type: { const: 'client_credentials' },
                          tokenUrl: { type: 'string', format: 'uri' },
                          clientId: { type: 'string', minLength: 1 },
                          clientSecret: { type: 'string', minLength: 1 },
                          method: { enum: ['client_secret_basic', 'client_secret_post'] },
                        },
                      },
                      {
                        type: 'object',
                        additionalProperties: false,
                        required: ['type', 'token'],
                        properties: { type: { const: 'static' }, token: { type: 'string', minLength: 1 } },
                      },
                    ],
                  },
                },
              },
              faults: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  errorRates: {
                    type: 'object',
                    additionalProperties: false,
                    properties: {
                      500: { type: 'number', minimum: 0, maximum: 1 },
                      503: { type: 'number', minimum: 0, maximum: 1 },
                      504: { type: 'number', minimum: 0, maximum: 1 },
                    },
                  },
                  latencyMs: { type: 'integer', minimum: 0, maximum: 60000 },
                  timeoutRate: { type: 'number', minimum: 0, maximum: 1 },
                  seed: { type: 'integer' },
                },
              },
            },
          },
        },
      },
    },
    supplier: {
      type: 'object',
      additionalProperties: false,
      properties: {
        host: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        publicUrl: urlOrEmpty,
        nhsLoginIssuer: { type: 'string', format: 'uri', pattern: '^https?://' },
        clientId: { type: 'string', minLength: 1 },
        clientSecret: { type: 'string', minLength: 8 },
        portalBaseUrl: { type: 'string', format: 'uri', pattern: '^https://' },
        paths: {
          type: 'object',
          additionalProperties: false,
          properties: { appointments: pathString, documents: pathString, tasks: pathString },
        },
      },
    },
  },
} as const;

/**
 * The config file may carry `//` and `/* *\/` comments (as tsconfig.json does), so `init` can write a
 * commented starter. Comments are blanked out, leaving line and column numbers of errors intact.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += next ?? '';
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      i += 1;
    } else if (c === '"') {
      inString = true;
      out += c;
      i += 1;
    } else if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i += 1;
      }
    } else if (c === '/' && next === '*') {
      out += '  ';
      i += 2;
      while (i < text.length && !(text[i] === '*' && text[i + 1] === '/')) {
        out += text[i] === '\n' ? '\n' : ' ';
        i += 1;
      }
      out += '  ';
      i += 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}

/**
 * A configuration the harness cannot run with (exit 2); `problems` names each bad key.
 *
 * @example
 * ```ts
 * import { ConfigError } from 'pca-harness';
 * if (err instanceof ConfigError) console.error(err.problems);
 * ```
 */
export class ConfigError extends HarnessError {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message, ExitCode.usage);
    this.name = 'ConfigError';
  }
}

export const CONFIG_FILE_NAME = 'pca-harness.config.json';
export const ENV_PREFIX = 'PCA_HARNESS_';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Scalar leaves of the config that can be set from the environment, e.g. `PCA_HARNESS_PLATFORM_PORT`. */
function envLeaves(schema: Record<string, unknown>, prefix: string[] = []): Array<{ path: string[]; type: string }> {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const out: Array<{ path: string[]; type: string }> = [];
  for (const [k, s] of Object.entries(props)) {
    if (k === '$schema') continue;
    if (s.type === 'object') out.push(...envLeaves(s, [...prefix, k]));
    else if (s.type === 'array') out.push({ path: [...prefix, k], type: 'json' });
    else out.push({ path: [...prefix, k], type: typeof s.type === 'string' ? s.type : 'string' });
  }
  return out;
}

export function envVarName(p: string[]): string {
  return ENV_PREFIX + p.map((s) => s.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

export const ENV_VARIABLES = envLeaves(CONFIG_SCHEMA as unknown as Record<string, unknown>).map((l) => ({
  name: envVarName(l.path),
  key: l.path.join('.'),
  type: l.type,
}));

function setPath(target: Record<string, Json>, p: string[], value: Json): void {
  let cur = target;
  for (const k of p.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, Json>;
  }
  cur[p[p.length - 1]!] = value;
}

function parseEnvValue(name: string, raw: string, type: string): Json {
  if (type === 'integer' || type === 'number') {
    const n = Number(raw);
    if (raw.trim() === '' || Number.isNaN(n)) throw new ConfigError(`${name}="${raw}" is not a number`);
    return n;
  }
  if (type === 'boolean') {
    if (!['true', 'false'].includes(raw)) throw new ConfigError(`${name}="${raw}" must be true or false`);
    return raw === 'true';
  }
  if (type === 'json') {
    try {
      return JSON.parse(raw) as Json;
    } catch {
      throw new ConfigError(`${name} must be JSON (it sets a list)`);
    }
  }
  return raw;
}

function deepMerge<T>(base: T, over: unknown): T {
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = typeof b === 'object' && b !== null && !Array.isArray(b) ? deepMerge(b, v) : v;
  }
  return out as T;
}

export interface LoadConfigOptions {
  /** Explicit config file; it must exist. Without it, `./pca-harness.config.json` is used when present. */
  file?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Highest precedence: values from command-line flags. */
  overrides?: DeepPartial<HarnessConfig>;
}

export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Array<infer _U> ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

export interface LoadedConfig {
  config: HarnessConfig;
  /** The file read, if any. */
  source?: string;
}

/** Precedence: defaults < config file < environment < command-line overrides. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  let fileValues: unknown = {};
  let source: string | undefined;
  const explicit = opts.file ?? env[`${ENV_PREFIX}CONFIG`];
  const candidate = explicit ? path.resolve(cwd, explicit) : path.join(cwd, CONFIG_FILE_NAME);
  if (existsSync(candidate)) {
    source = candidate;
    try {
      fileValues = JSON.parse(stripJsonComments(readFileSync(candidate, 'utf8')));
    } catch (e) {
      throw new ConfigError(`config file ${candidate} is not valid JSON: ${(e as Error).message}`);
    }
    const fileCheck = validateAgainst(CONFIG_SCHEMA, fileValues);
    if (!fileCheck.valid)
      throw new ConfigError(`config file ${candidate} is invalid:`, fileCheck.diagnostics.map(configProblem));
  } else if (explicit) {
    throw new ConfigError(`config file ${candidate} does not exist`);
  }

  const envValues: Record<string, Json> = {};
  for (const v of ENV_VARIABLES) {
    const raw = env[v.name];
    if (raw !== undefined) setPath(envValues, v.key.split('.'), parseEnvValue(v.name, raw, v.type));
  }
  const merged = deepMerge(deepMerge(deepMerge(DEFAULT_CONFIG, fileValues), envValues), opts.overrides ?? {});
  const check = validateAgainst(CONFIG_SCHEMA, merged);
  if (!check.valid)
    throw new ConfigError(
      'configuration is invalid (after applying environment and flags):',
      check.diagnostics.map(configProblem),
    );
  if (source && !path.isAbsolute(merged.stateDir))
    merged.stateDir = path.resolve(path.dirname(source), merged.stateDir);
  return { config: merged, source };
}

/**
 * The defaults with `overrides` applied and validated: the library's configuration, which reads no
 * file and no environment (a test suite gets the same harness on every machine).
 *
 * @example
 * ```ts
 * const config = resolveConfig({ platform: { pullRate: 50 } });
 * ```
 */
export function resolveConfig(overrides: DeepPartial<HarnessConfig> = {}): HarnessConfig {
  const merged = deepMerge(DEFAULT_CONFIG, overrides);
  const check = validateAgainst(CONFIG_SCHEMA, merged);
  if (!check.valid) throw new ConfigError('configuration is invalid:', check.diagnostics.map(configProblem));
  return merged;
}

function configProblem(d: { pointer: string; message: string }): string {
  const key = d.pointer.replace(/^\//, '').split('/').filter(Boolean).join('.') || '(root)';
  const p = d.pointer
    .replace(/^\//, '')
    .split('/')
    .filter((s) => !/^\d+$/.test(s));
  const envHint = p.length && ENV_VARIABLES.some((v) => v.key === p.join('.')) ? ` (env ${envVarName(p)})` : '';
  return `${key}${envHint}: ${d.message}`;
}

export { formatDiagnostic };

export function platformUrl(cfg: HarnessConfig, actualPort?: number): string {
  if (cfg.platform.publicUrl) return cfg.platform.publicUrl.replace(/\/$/, '');
  return `http://${cfg.platform.host}:${actualPort ?? cfg.platform.port}`;
}

/** The copy of a config that is safe to show: secrets replaced. */
export function redactedConfig(cfg: HarnessConfig): HarnessConfig {
  return {
    ...cfg,
    platform: {
      ...cfg.platform,
      ...(cfg.platform.adminToken ? { adminToken: '[REDACTED]' } : {}),
      ...(cfg.platform.aggregator?.consumerTokens?.length
        ? {
            aggregator: {
              ...cfg.platform.aggregator,
              consumerTokens: cfg.platform.aggregator.consumerTokens.map(() => '[REDACTED]'),
            },
          }
        : {}),
      clients: cfg.platform.clients.map((c) => ({
        ...c,
        ...(c.apiKey ? { apiKey: '[REDACTED]' } : {}),
        ...(c.endpoint
          ? {
              endpoint: {
                ...c.endpoint,
                auth:
                  c.endpoint.auth.type === 'static'
                    ? { type: 'static', token: '[REDACTED]' }
                    : { ...c.endpoint.auth, clientSecret: '[REDACTED]' },
              },
            }
          : {}),
      })),
    },
    supplier: { ...cfg.supplier, clientSecret: '[REDACTED]' },
  };
}
