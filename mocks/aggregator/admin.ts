/**
 * The aggregator's part of the harness admin API (mounted under `/_harness`): its extension of the
 * one client-admin router (contract pass, pull status) and the pull journal (list with NHS numbers
 * masked, progress summary, schedule pulls by hand). Errors come from the harness admin API's one
 * catalogue (`../harness-errors`).
 */
import express, { type Request, type Response, type Router } from 'express';
import { type Clock, systemClock } from '../../core/clock';
import type { ClientConfig } from '../../core/config';
import { jsonBody } from '../../core/http';
import { harnessBodyErrors, harnessError } from '../harness-errors';
import { checkNhsNumber, maskNhsNumber } from '../../core/nhs-number';
import { redact } from '../../core/redact';
import type { ClientAdminExtension } from '../record-service/client-admin';
import type { ClientRegistry } from '../record-service/clients';
import type { ContractPasses } from './contract-passes';
import { pullTarget } from './directory';
import type { PullFilter } from './pull-store';
import type { PullScheduler, ScheduleResult } from './scheduler';

export interface AggregatorAdminDeps {
  clients: ClientRegistry;
  passes: ContractPasses;
  scheduler: PullScheduler;
  /** Queues a pull of every patient registered for the client (after onboarding or a contract pass). */
  scheduleRegistered: (clientId: string) => ScheduleResult;
  clock?: Clock;
}

const MAX_LIST = 1000;
const DEFAULT_LIST = 100;

function one(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Parses the shared pull filters; answers 400 and returns undefined when one is unusable. */
function pullFilter(req: Request, res: Response, withLimit: boolean): PullFilter | undefined {
  const f: PullFilter = {};
  for (const k of ['clientId', 'since', 'nhsNumber', 'limit']) {
    if (Array.isArray(req.query[k])) {
      harnessError(res, 400, 'bad-query', `give ${k} at most once`);
      return undefined;
    }
  }
  const clientId = one(req.query.clientId);
  if (clientId) f.clientId = clientId;
  const since = one(req.query.since);
  if (since) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) {
      harnessError(res, 400, 'bad-query', 'since must be an ISO 8601 instant, e.g. 2025-01-31T09:00:00Z');
      return undefined;
    }
    f.since = new Date(t).toISOString();
  }
  const nhsNumber = one(req.query.nhsNumber);
  if (nhsNumber) {
    const v = checkNhsNumber(nhsNumber);
    if (!v.valid) {
      harnessError(res, 400, 'bad-query', `nhsNumber: ${v.message}`);
      return undefined;
    }
    f.nhsNumber = nhsNumber;
  }
  if (withLimit) {
    const raw = one(req.query.limit);
    const limit = raw === undefined ? DEFAULT_LIST : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) {
      harnessError(res, 400, 'bad-query', `limit must be a whole number from 1 to ${MAX_LIST}`);
      return undefined;
    }
    f.limit = limit;
  }
  return f;
}

/**
 * The aggregator's view of a client for the one client-admin router (`../record-service/client-admin`):
 * its contract pass and whether pulls are enabled (and why not), and recording a contract pass, which
 * queues a pull of every patient registered for the client.
 */
export function aggregatorClientExtension(deps: AggregatorAdminDeps): ClientAdminExtension {
  const clock = deps.clock ?? systemClock;
  return {
    view: (c: ClientConfig) => {
      const target = pullTarget(
        { client: (id) => deps.clients.get(id), contractPassed: (id) => deps.passes.has(id) },
        c.clientId,
      );
      return {
        contractPass: deps.passes.get(c.clientId) ?? null,
        pulls: target.ok ? { enabled: true } : { enabled: false, reason: target.reason, message: target.message },
      };
    },
    contractPass: {
      record: (clientId, detail) => {
        const pass = deps.passes.record(clientId, clock.now(), detail ? redact(detail) : undefined);
        const scheduled = deps.scheduleRegistered(clientId);
        return {
          ...pass,
          scheduled: {
            queued: scheduled.queued,
            ...(scheduled.notPullable ? { notPullable: scheduled.notPullable.message } : {}),
          },
        };
      },
      revoke: (clientId) => deps.passes.revoke(clientId),
    },
  };
}

/** The pull journal under `/_harness/pulls`: list (NHS numbers masked), progress summary, schedule by hand. */
export function createPullAdminRouter(deps: Pick<AggregatorAdminDeps, 'scheduler' | 'scheduleRegistered'>): Router {
  const router = express.Router();

  router.get('/pulls/summary', (req, res) => {
    const f = pullFilter(req, res, false);
    if (!f) return;
    res.json(deps.scheduler.summary({ clientId: f.clientId, since: f.since }));
  });

  router.get('/pulls', (req, res) => {
    const f = pullFilter(req, res, true);
    if (!f) return;
    const withBody = req.query.include === 'body';
    const pulls = deps.scheduler.results(f).map((p) => {
      const { bodyText: _text, body, nhsNumber, ...rest } = p;
      return redact({
        ...rest,
        nhsNumber: maskNhsNumber(nhsNumber),
        ...(withBody && body !== undefined ? { body } : {}),
      });
    });
    res.json({ count: pulls.length, pulls });
  });

  router.post('/pulls', jsonBody('1mb'), (req, res) => {
    const body = (req.body ?? {}) as { clientId?: unknown; nhsNumbers?: unknown };
    if (typeof body.clientId !== 'string' || body.clientId === '') {
      return harnessError(
        res,
        400,
        'bad-request',
        'send {"clientId": "...", "nhsNumbers"?: ["..."]}; without nhsNumbers every patient registered for the client is pulled',
      );
    }
    if (body.nhsNumbers === undefined) return res.status(202).json(deps.scheduleRegistered(body.clientId));
    if (!Array.isArray(body.nhsNumbers) || body.nhsNumbers.length === 0)
      return harnessError(res, 400, 'bad-request', 'nhsNumbers must be a non-empty array of NHS numbers');
    const bad = body.nhsNumbers.findIndex((n) => !checkNhsNumber(n).valid);
    if (bad >= 0)
      return harnessError(
        res,
        400,
        'bad-request',
        `nhsNumbers[${bad}]: ${checkNhsNumber(body.nhsNumbers[bad]).message}`,
      );
    const result = deps.scheduler.schedule(body.clientId, body.nhsNumbers as string[]);
    res
      .status(result.notPullable ? 409 : 202)
      .json(
        result.notPullable
          ? { ...result, error: result.notPullable.reason, message: result.notPullable.message }
          : result,
      );
  });

  router.use(harnessBodyErrors());
  return router;
}
