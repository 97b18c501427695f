/**
 * Scrubbing of patient data and secrets from anything that is about to be written to a log or a
 * report: NHS numbers are masked wherever they appear, tokens and keys are replaced outright.
 */
import { maskNhsNumbersInText } from './nhs-number';

export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets whatever they look like (compared case-insensitively, ignoring - and _). */
const SECRET_KEYS = new Set(
  [
    'authorization',
    'nhsdidtoken',
    'idtoken',
    'token',
    'accesstoken',
    'refreshtoken',
    'bearer',
    'clientsecret',
    'clientassertion',
    'apikey',
    'apikeys',
    'password',
    'secret',
    'privatekey',
    'key',
    'cookie',
    'setcookie',
    'brokertoken',
    'pactbrokertoken',
    'd',
    'p',
    'q',
    'dp',
    'dq',
    'qi',
  ].map((k) => k),
);

function normaliseKey(k: string): string {
  return k.toLowerCase().replace(/[-_]/g, '');
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(normaliseKey(key));
}

/** JWS compact serialisation (three base64url parts) or a bearer credential in free text. */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const BEARER_IN_TEXT = /(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

export function redactText(text: string): string {
  return maskNhsNumbersInText(text.replace(JWT_LIKE, REDACTED).replace(BEARER_IN_TEXT, `$1 ${REDACTED}`));
}

/**
 * Deep copy of `value` with secrets removed and NHS numbers masked. Handles cycles, Errors,
 * Buffers and class instances without throwing.
 */
export function redact<T>(value: T, seen: WeakMap<object, unknown> = new WeakMap()): T {
  return redactAny(value, seen) as T;
}

function redactAny(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const s = String(value);
    const masked = maskNhsNumbersInText(s);
    return masked === s ? value : masked;
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactText(value.message) };
    if (value.stack) out.stack = redactText(value.stack);
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redactAny(v, seen);
    return out;
  }
  if (Array.isArray(value)) {
    const arr: unknown[] = [];
    seen.set(value, arr);
    for (const v of value) arr.push(redactAny(v, seen));
    return arr;
  }
  if (value instanceof Map) return redactAny(Object.fromEntries(value), seen);
  if (value instanceof Set) return redactAny([...value], seen);
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[redactText(k)] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redactAny(v, seen);
  }
  return out;
}
