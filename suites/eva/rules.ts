/**
 * Ignore rules for the EVA comparator: patterns written in the same path notation the comparator
 * reports (docs/eva.md), so a person can copy a reported path into a rule. Patterns are compiled
 * once and matched step by step while the comparator descends, so the cost per visited node is a
 * handful of integer comparisons, not a string match against the whole path.
 */
import { ExitCode, HarnessError } from '../../core/errors';

/** One step down a document: into an object member, or into an element of an array. */
export const MEMBER = 0;
export const ELEMENT = 1;
export type StepKind = typeof MEMBER | typeof ELEMENT;

type PatternStep =
  | { t: 'member'; name: string }
  /** `label` undefined means any element (`[*]`). */
  | { t: 'element'; label: string | undefined }
  /** `*`: any single step, member or element. */
  | { t: 'one' }
  /** `**`: any number of steps, including none. */
  | { t: 'deep' };

export interface CompiledRules {
  /** Single bare names (`meta`, `fullUrl`): a member with this name is ignored at any depth. */
  readonly floating: ReadonlySet<string>;
  readonly patterns: readonly PatternStep[][];
  /** Matcher states before the first step (the document root). */
  readonly initial: readonly number[];
  /** The rules as written, for reports. */
  readonly sources: readonly string[];
}

/** An EVA ignore rule that cannot be read (exit 2). */
export class IgnoreRuleError extends HarnessError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'IgnoreRuleError';
  }
}

const BARE_NAME = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const MAX_STEPS = 255;
export const NO_STATES: readonly number[] = Object.freeze([]);

/** Splits on `/` except inside `[...]`, since selectors hold URLs. */
function splitSegments(src: string, rule: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of src) {
    if (ch === '[') depth++;
    if (ch === ']') {
      depth--;
      if (depth < 0) throw new IgnoreRuleError(`ignore rule "${rule}" has a "]" without a matching "["`);
    }
    if (ch === '/' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (depth !== 0) throw new IgnoreRuleError(`ignore rule "${rule}" has a "[" without a matching "]"`);
  out.push(cur);
  return out;
}

function parseSegment(seg: string, rule: string): PatternStep[] {
  if (seg === '**') return [{ t: 'deep' }];
  if (seg === '*') return [{ t: 'one' }];
  const open = seg.indexOf('[');
  const name = open < 0 ? seg : seg.slice(0, open);
  const steps: PatternStep[] = [];
  if (name !== '') {
    if (name.includes('*') || name.includes(']')) {
      throw new IgnoreRuleError(
        `ignore rule "${rule}": "${name}" is not a member name; use "*" alone for any member or element`,
      );
    }
    steps.push({ t: 'member', name });
  }
  let rest = open < 0 ? '' : seg.slice(open);
  while (rest !== '') {
    // Selectors may themselves contain brackets only in balanced pairs, so find the matching close.
    let depth = 0;
    let end = -1;
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '[') depth++;
      else if (rest[i] === ']' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (!rest.startsWith('[') || end < 0) {
      throw new IgnoreRuleError(
        `ignore rule "${rule}": cannot read "${seg}"; write member[selector], e.g. extension[url=https://...]`,
      );
    }
    const sel = rest.slice(1, end);
    if (sel === '') throw new IgnoreRuleError(`ignore rule "${rule}": empty selector "[]"; use [*] for any element`);
    steps.push({ t: 'element', label: sel === '*' ? undefined : sel });
    rest = rest.slice(end + 1);
  }
  if (steps.length === 0) throw new IgnoreRuleError(`ignore rule "${rule}" has an empty segment (two "/" in a row?)`);
  return steps;
}

/**
 * Compiles ignore rules. A rule that starts with `/` is anchored at the document root; any other
 * rule matches at any depth; a bare name (`meta`) ignores that member wherever it appears.
 */
export function compileRules(rules: readonly string[]): CompiledRules {
  const floating = new Set<string>();
  const patterns: PatternStep[][] = [];
  for (const raw of rules) {
    if (typeof raw !== 'string') throw new IgnoreRuleError(`ignore rules must be strings, got ${JSON.stringify(raw)}`);
    const rule = raw.trim();
    if (rule === '' || rule === '/') throw new IgnoreRuleError(`ignore rule "${raw}" would ignore the whole document`);
    if (BARE_NAME.test(rule)) {
      floating.add(rule);
      continue;
    }
    const anchored = rule.startsWith('/');
    const steps: PatternStep[] = anchored ? [] : [{ t: 'deep' }];
    for (const seg of splitSegments(anchored ? rule.slice(1) : rule, rule)) steps.push(...parseSegment(seg, rule));
    if (steps.every((s) => s.t === 'deep'))
      throw new IgnoreRuleError(`ignore rule "${raw}" would ignore the whole document`);
    if (steps.length > MAX_STEPS) throw new IgnoreRuleError(`ignore rule "${raw}" is longer than ${MAX_STEPS} steps`);
    patterns.push(steps);
  }
  if (patterns.length > 1 << 22) throw new IgnoreRuleError('too many ignore rules');
  const initial = patterns.map((_p, i) => i << 8);
  return { floating, patterns, initial, sources: [...rules] };
}

/** True when every step from `i` on is `**`, i.e. the pattern is already satisfied. */
function restIsDeep(pat: readonly PatternStep[], i: number): boolean {
  for (let k = i; k < pat.length; k++) if (pat[k].t !== 'deep') return false;
  return true;
}

/**
 * Moves the matcher one step down. Returns `null` when the step lands on an ignored node (its whole
 * subtree is skipped), otherwise the states for the node's children. `label` is asked for only
 * when a rule names a specific element, so most steps never build a label string.
 */
export function advance(
  rules: CompiledRules,
  states: readonly number[],
  kind: StepKind,
  name: string,
  label: () => string,
): readonly number[] | null {
  if (states.length === 0) return NO_STATES;
  let next: number[] | undefined;
  let cachedLabel: string | undefined;
  const add = (s: number): void => {
    if (!next) next = [s];
    else if (!next.includes(s)) next.push(s);
  };
  // Returns true when the pattern is fully matched by this step.
  const tryAt = (p: number, i: number): boolean => {
    const pat = rules.patterns[p];
    const st = pat[i];
    if (st.t === 'deep') {
      add((p << 8) | i);
      return tryAt(p, i + 1);
    }
    let ok: boolean;
    if (st.t === 'one') ok = true;
    else if (st.t === 'member') ok = kind === MEMBER && st.name === name;
    else if (kind !== ELEMENT) ok = false;
    else if (st.label === undefined) ok = true;
    else ok = st.label === (cachedLabel ??= label());
    if (!ok) return false;
    if (restIsDeep(pat, i + 1)) return true;
    add((p << 8) | (i + 1));
    return false;
  };
  for (const s of states) {
    if (tryAt(s >>> 8, s & 255)) return null;
  }
  return next ?? NO_STATES;
}
