/**
 * Runs checks and collects every verdict: a check that throws becomes an `error` verdict, never a
 * stopped run. "Does this check apply here?" is decided by the guards below, not inside checks.
 */
import { UnreachableError, TimeoutError } from '../../core/http';
import { type Check, type CheckContext, type CheckVerdict, error, skip } from './check';

export interface CheckResult {
  check: Check;
  verdict: CheckVerdict;
  durationMs: number;
}

/** Why a check does not apply to this run, or undefined when it does. */
export function notApplicable(check: Check, ctx: CheckContext): string | undefined {
  if (check.optIn === 'throttle' && !ctx.includeThrottle)
    return 'opt-in: run with --include-throttle to send the 60 TPS burst';
  if (check.endpoint === 'RecordService') {
    if (!ctx.platform) return 'needs the platform that saw the uploads: give --platform-url and --client-id';
    return undefined;
  }
  if (!ctx.endpoints[check.endpoint])
    return `the supplier offers no ${check.endpoint} endpoint in this run (not in --paths)`;
  return undefined;
}

export interface RunOptions {
  /** Called after each check, for progress output. */
  onResult?: (r: CheckResult, done: number, total: number) => void;
}

async function runOne(check: Check, ctx: CheckContext): Promise<CheckResult> {
  const started = performance.now();
  const reason = notApplicable(check, ctx);
  let verdict: CheckVerdict;
  if (reason) {
    verdict = skip(reason);
  } else {
    try {
      verdict = await check.run(ctx);
    } catch (e) {
      const msg =
        e instanceof UnreachableError || e instanceof TimeoutError
          ? e.message
          : `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`;
      verdict = error(`the check could not complete: ${msg}`);
    }
  }
  return { check, verdict, durationMs: performance.now() - started };
}

/** WF-NFR-03 limits per second; a little over one window lets a supplier's limiter forget the burst. */
export const RATE_WINDOW_COOLDOWN_MS = 1_200;

/**
 * Runs `checks` one after another (the supplier's rate limit is per second, and one at a time keeps
 * evidence readable); burst checks go last so their 429s cannot spill into other checks. Results
 * come back in catalogue order.
 */
export async function runChecks(
  checks: readonly Check[],
  ctx: CheckContext,
  opts: RunOptions = {},
): Promise<CheckResult[]> {
  const order = [...checks.filter((c) => !c.optIn), ...checks.filter((c) => c.optIn)];
  const byId = new Map<string, CheckResult>();
  let done = 0;
  let burstSent = false;
  for (const check of order) {
    const r = await runOne(check, ctx);
    byId.set(check.id, r);
    burstSent ||= Boolean(check.optIn) && r.verdict.outcome !== 'skip';
    opts.onResult?.(r, ++done, order.length);
  }
  // Leave the supplier as we found it: whatever runs next (replay, load, the user's own tests) must
  // not inherit 429s from our burst, so wait out the one-second rate window it filled.
  if (burstSent) await new Promise((resolve) => setTimeout(resolve, RATE_WINDOW_COOLDOWN_MS));
  return checks.map((c) => byId.get(c.id)!);
}
