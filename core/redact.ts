/**
 * Scrubbing of patient data and secrets from anything that is about to be written to a log or a
 * report: NHS numbers are masked wherever they appear, tokens and keys are replaced outright.
 * This is the one home of "what counts as PID in free text" (`maskNhsNumbersInText`).
 */
import { maskNhsNumber, modulus11CheckDigit } from './nhs-number';

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

/**
 * A run of digits where single separators (space, `.`, `-`, `/`) may stand between any two digits,
 * as people write NHS numbers: `999 000 0018`, `999-000-0018`, `999.873.0511`, `9998 730 511`.
 */
const DIGIT_CHAIN = /[0-9](?:[ ./-]?[0-9])*/g;

function passesModulus11(digits: string): boolean {
  return digits[0] !== '0' && modulus11CheckDigit(digits.slice(0, 9)) === Number(digits[9]);
}

/**
 * Masks NHS numbers wherever they stand in free text. A chain of exactly ten digits that does not
 * start with 0 is masked whatever its check digit (it is NHS-number-shaped, and a mistyped number is
 * still someone's); in a longer chain every ten-digit window that passes Modulus 11 is masked, so a
 * number glued to other digits (`19998730511`, `99987305110`) is caught too. Separators are kept and
 * the first three and last digit of each window stay visible, as `maskNhsNumber` shows them.
 */
export function maskNhsNumbersInText(text: string): string {
  return text.replace(DIGIT_CHAIN, (chain) => {
    const positions: number[] = [];
    for (let i = 0; i < chain.length; i++)
      if (chain.charCodeAt(i) >= 48 && chain.charCodeAt(i) <= 57) positions.push(i);
    if (positions.length < 10) return chain;
    const digits = positions.map((p) => chain[p]).join('');
    if (digits.length === 10 && digits[0] !== '0' && positions.length === chain.length) return maskNhsNumber(digits);
    const hidden = new Set<number>();
    for (let w = 0; w + 10 <= digits.length; w++) {
      const window = digits.slice(w, w + 10);
      if (digits.length === 10 ? digits[0] !== '0' : passesModulus11(window))
        for (let k = w + 3; k < w + 9; k++) hidden.add(positions[k]!);
    }
    if (hidden.size === 0) return chain;
    let out = '';
    for (let i = 0; i < chain.length; i++) out += hidden.has(i) ? '*' : chain[i];
    return out;
  });
}

export function redactText(text: string): string {
  return maskNhsNumbersInText(text.replace(JWT_LIKE, REDACTED).replace(BEARER_IN_TEXT, `$1 ${REDACTED}`));
}

/**
 * How deep `redact` walks. Anything deeper is replaced by a marker: no log line or report needs
 * more, and a hostile body nested thousands deep must not overflow the stack.
 */
export const MAX_REDACT_DEPTH = 64;
export const TOO_DEEP = '[nested too deep]';

/**
 * Deep copy of `value` with secrets removed and NHS numbers masked. Handles cycles, Errors,
 * Buffers, class instances and hostile nesting (beyond `MAX_REDACT_DEPTH`) without throwing.
 */
export function redact<T>(value: T, seen: WeakMap<object, unknown> = new WeakMap()): T {
  return redactAny(value, seen, 0) as T;
}

function redactAny(value: unknown, seen: WeakMap<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  // A number is masked only when it is NHS-number-shaped itself: epoch milliseconds and other
  // counters stay numbers (a 13-digit timestamp often holds a window that passes Modulus 11).
  if (typeof value === 'number' || typeof value === 'bigint') {
    const s = String(value);
    return /^[1-9][0-9]{9}$/.test(s) ? maskNhsNumber(s) : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (depth >= MAX_REDACT_DEPTH) return TOO_DEEP;
  const next = depth + 1;
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactText(value.message) };
    if (value.stack) out.stack = redactText(value.stack);
    seen.set(value, out);
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redactAny(v, seen, next);
    return out;
  }
  if (Array.isArray(value)) {
    const arr: unknown[] = [];
    seen.set(value, arr);
    for (const v of value) arr.push(redactAny(v, seen, next));
    return arr;
  }
  if (value instanceof Map) return redactAny(Object.fromEntries(value), seen, depth);
  if (value instanceof Set) return redactAny([...value], seen, depth);
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[redactText(k)] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redactAny(v, seen, next);
  }
  return out;
}
