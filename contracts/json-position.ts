/**
 * Where a JSON text first goes wrong, as line and column. V8's JSON.parse messages only sometimes
 * carry a position and sometimes quote the surrounding text (which may hold patient data), so a
 * small scanner of our own finds the spot and describes it without echoing the input.
 */

export interface JsonSyntaxError {
  message: string;
  /** 0-based offset into the text. */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, counted in UTF-16 code units like editors do. */
  column: number;
}

class Stop extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

function describeChar(c: string | undefined): string {
  if (c === undefined) return 'the end of the input';
  if (/[{}[\]:,"]/.test(c)) return `'${c}'`;
  if (/[0-9]/.test(c)) return 'a digit';
  if (/[A-Za-z]/.test(c)) return 'a letter';
  if (c === "'") return 'a single quote (JSON strings use double quotes)';
  return `character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

function scan(text: string): void {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (message: string): never => {
    throw new Stop(i, message);
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${describeChar(text[i])}`);
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('unterminated string');
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail('control character in a string (escape it, e.g. \\n)');
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape in a string');
          i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) fail('invalid escape in a string');
        i += 2;
        continue;
      }
      i++;
    }
  };
  const number = (): void => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
    if (!m || m[0] === '' || m[0] === '-') fail('invalid number');
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 10_000) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail(
      c === undefined ? 'unexpected end of input: a value is missing' : `expected a value but found ${describeChar(c)}`,
    );
  };
  const object = (depth: number): void => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] !== '"')
        fail(
          text[i] === '}'
            ? "trailing comma before '}'"
            : `expected a property name in double quotes but found ${describeChar(text[i])}`,
        );
      string();
      ws();
      if (text[i] !== ':') fail(`expected ':' after a property name but found ${describeChar(text[i])}`);
      i++;
      value(depth + 1);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`expected ',' or '}' after a property value but found ${describeChar(text[i])}`);
    }
  };
  const array = (depth: number): void => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === ']') fail("trailing comma before ']'");
      value(depth + 1);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`expected ',' or ']' after an array item but found ${describeChar(text[i])}`);
    }
  };
  value(0);
  ws();
  if (i < text.length) fail(`unexpected ${describeChar(text[i])} after the end of the JSON value`);
}

function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** The first syntax error in `text`, or undefined when it is valid JSON. */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    scan(text);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { message: e.message, offset: e.offset, ...position(text, e.offset) };
  }
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; error: JsonSyntaxError };

/** JSON.parse with a located, data-free error. A leading byte-order mark is tolerated. */
export function parseJson(text: string): JsonParse {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    const error = findJsonSyntaxError(body) ?? { message: 'not valid JSON', offset: 0, line: 1, column: 1 };
    return { ok: false, error };
  }
}
