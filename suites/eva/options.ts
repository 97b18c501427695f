/**
 * EVA compare options: the ignore rules in effect (docs/eva.md), compiled once per run.
 */
import { compileRules, type CompiledRules } from './rules';

/**
 * Ignored by default: the parts of a response that a conforming supplier legitimately makes up
 * itself (server metadata, its own base URLs, the search mode bookkeeping).
 */
export const DEFAULT_IGNORE: readonly string[] = Object.freeze([
  'meta',
  'fullUrl',
  '/entry/*/search',
  '/id',
  '/timestamp',
  '/link',
]);

export interface CompareOptions {
  /** Replaces DEFAULT_IGNORE. */
  ignore?: readonly string[];
  /** Added to the rules in effect (DEFAULT_IGNORE unless `ignore` is given). */
  alsoIgnore?: readonly string[];
}

export interface CompiledCompareOptions {
  readonly compiled: true;
  readonly rules: CompiledRules;
  /** Every rule in effect, as written. */
  readonly ignore: readonly string[];
}

/** Compile once and pass the result to every comparison of a run. Throws IgnoreRuleError. */
export function compileCompareOptions(opts: CompareOptions = {}): CompiledCompareOptions {
  const ignore = [...(opts.ignore ?? DEFAULT_IGNORE), ...(opts.alsoIgnore ?? [])];
  return { compiled: true, rules: compileRules(ignore), ignore };
}

export const DEFAULT_COMPILED = compileCompareOptions();

export function compiledOf(opts: CompareOptions | CompiledCompareOptions | undefined): CompiledCompareOptions {
  if (opts === undefined) return DEFAULT_COMPILED;
  return 'compiled' in opts ? opts : compileCompareOptions(opts);
}
