/**
 * The harness's error classes and the exit codes they stand for. A library caller catches them by
 * class; the CLI maps any of them to its exit code without knowing every class (`exitCode`).
 */

/** What the CLI exits with. 1 means "a check failed"; a crash in the harness itself is 4, never 1. */
export const ExitCode = {
  /** Every MUST check passed. */
  ok: 0,
  /** A check (or comparison, interaction, threshold) failed. */
  checkFailed: 1,
  /** Usage or configuration error: the run could not start as asked. */
  usage: 2,
  /** The target (supplier, platform, broker) could not be reached. */
  unreachable: 3,
  /** An unexpected error inside the harness: a bug, please report it with the stack trace. */
  internal: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Base of every error the harness throws on purpose. `exitCode` is what the CLI exits with.
 *
 * @example
 * ```ts
 * import { HarnessError, runChecks } from 'pca-harness';
 * try { await runChecks({ supplierUrl: 'http://127.0.0.1:1' }); }
 * catch (e) { if (e instanceof HarnessError) console.error(e.message, e.exitCode); }
 * ```
 */
export class HarnessError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.name = 'HarnessError';
    this.exitCode = exitCode;
  }
}

/**
 * The caller asked for something that cannot be done as asked (exit 2).
 *
 * @example
 * ```ts
 * throw new UsageError('--rate must be more than zero');
 * ```
 */
export class UsageError extends HarnessError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

/** True for an error the harness threw on purpose, with its exit code. */
export function isHarnessError(e: unknown): e is HarnessError {
  return e instanceof HarnessError;
}
