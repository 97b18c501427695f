/**
 * The one error catalogue of the harness admin API (everything under `/_harness` that is the
 * harness's own, on the platform and on the standalone Record Service app): `{error, message}`
 * JSON, `error` a stable code from this list, `message` a sentence a person can act on. The Record
 * Service's `POST /records` keeps the spec's `{code, data}` errors; those are the spec's, not ours.
 */
import type { Response } from 'express';
import { type BodyProblem, bodyErrorHandler } from '../core/http';

export type HarnessErrorCode =
  /** The request body is not what the endpoint takes. */
  | 'bad-request'
  /** A query parameter is unusable (repeated, malformed, out of range). */
  | 'bad-query'
  /** The client configuration was refused by the registry's validation. */
  | 'invalid-client'
  /** No client with that clientId is configured. */
  | 'unknown-client'
  | 'not-found'
  | 'internal-error'
  /** The body could not be read (malformed JSON, too large, too deep, ...): see core/http. */
  | BodyProblem;

export interface HarnessErrorBody {
  error: HarnessErrorCode;
  message: string;
}

export function harnessError(res: Response, status: number, error: HarnessErrorCode, message: string): void {
  res.status(status).json({ error, message } satisfies HarnessErrorBody);
}

/** Renders body-parser failures (malformed JSON, too large, ...) in the catalogue's shape. */
export function harnessBodyErrors() {
  return bodyErrorHandler((res, info) => harnessError(res, info.status, info.problem, info.message));
}
