/**
 * The aggregator's part of the harness admin API (mounted under `/_harness`): supplier clients
 * (list, register or update at runtime, record a contract pass) and the pull journal (list with NHS
 * numbers masked, progress summary, schedule pulls by hand). Errors are `{error, message}` JSON with
 * a message a person can act on.
 */
import express, { type Request, type Response, type Router } from 'express';
import { type Clock, systemClock } from '../../core/clock';
import type { ClientConfig } from '../../core/config';
import { bodyErrorHandler, jsonBody } from '../../core/http';
import { checkNhsNumber, maskNhsNumber } from '../../core/nhs-number';
import { redact } from '../../core/redact';
import { type ClientRegistry, ClientValidationError, publicClientView } from '../record-service/clients';
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

function problem(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

function one(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Parses the shared pull filters; answers 400 and returns undefined when one is unusable. */
function pullFilter(req: Request, res: Response, withLimit: boolean): PullFilter | undefined {
  const f: PullFilter = {};
  for (const k of ['clientId', 'since', 'nhsNumber', 'limit']) {
    if (Array.isArray(req.query[k])) {
      problem(res, 400, 'bad-query', `give ${k} at most once`);
      return undefined;
    }
  }
  const clientId = one(req.query.clientId);
  if (clientId) f.clientId = clientId;
  const since = one(req.query.since);
  if (since) {
    const t = Date.parse(since);
    if (Number.isNaN(t)) {
      problem(res, 400, 'bad-query', 'since must be an ISO 8601 instant, e.g. 2025-01-31T09:00:00Z');
      return undefined;
    }
    f.since = new Date(t).toISOString();
  }
  const nhsNumber = one(req.query.nhsNumber);
  if (nhsNumber) {
    const v = checkNhsNumber(nhsNumber);
    if (!v.valid) {
      problem(res, 400, 'bad-query', `nhsNumber: ${v.message}`);
      return undefined;
    }
    f.nhsNumber = nhsNumber;
  }
  if (withLimit) {
    const raw = one(req.query.limit);
    const limit = raw === undefined ? DEFAULT_LIST : Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST) {
      problem(res, 400, 'bad-query', `limit must be a whole number from 1 to ${MAX_LIST}`);
      return undefined;
    }
    f.limit = limit;
  }
  return f;
}

export function createAggregatorAdminRouter(deps: AggregatorAdminDeps): Router {
  const clock = deps.clock ?? systemClock;
  const router = express.Router();

  const clientView = (c: ClientConfig) => {
    const target = pullTarget(
      { client: (id) => deps.clients.get(id), contractPassed: (id) => deps.passes.has(id) },
      c.clientId,
    );
    return {
      ...publicClientView(c),
      contractPass: deps.passes.get(c.clientId) ?? null,
      pulls: target.ok ? { enabled: true } : { enabled: false, reason: target.reason, message: target.message },
    };
  };

  // One client answers as its view at the top level and, the same, under `client` (as the list's
  // `clients`): `check` reads the first, `replay` the second.
  const oneClient = (c: ClientConfig) => {
    const view = clientView(c);
    return { ...view, client: view };
  };

  router.get('/clients', (_req, res) => {
    res.json({ clients: deps.clients.list().map(clientView) });
  });

  router.get('/clients/:clientId', (req, res) => {
    const c = deps.clients.get(req.params.clientId);
    if (!c)
      return problem(
        res,
        404,
        'unknown-client',
        `no client "${req.params.clientId}"; register it with PUT /_harness/clients/${req.params.clientId}`,
      );
    res.json(oneClient(c));
  });

  /** Adds or replaces a client; `pathId` is the clientId from the URL (PUT) or undefined (POST). */
  function upsert(req: Request, res: Response, pathId: string | undefined): void {
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return problem(
        res,
        400,
        'bad-request',
        'send the client as a JSON object (Content-Type: application/json), e.g. {"resourceType":"Appointment","apiKey":"...","endpoint":{"url":"http://127.0.0.1:7171","auth":{"type":"static","token":"..."}}}',
      );
    }
    const given = (body as { clientId?: unknown }).clientId;
    if (pathId !== undefined && given !== undefined && given !== pathId) {
      return problem(
        res,
        400,
        'bad-request',
        `the body's clientId "${String(given)}" differs from the one in the path "${pathId}"`,
      );
    }
    const clientId = pathId ?? given;
    if (typeof clientId !== 'string' || clientId === '')
      return problem(
        res,
        400,
        'bad-request',
        'the client needs a clientId (in the body for POST /_harness/clients, or PUT /_harness/clients/:clientId)',
      );
    const existed = deps.clients.get(clientId) !== undefined;
    let stored: ClientConfig;
    try {
      stored = deps.clients.upsert({ ...(body as Omit<ClientConfig, 'clientId'>), clientId });
    } catch (e) {
      if (e instanceof ClientValidationError) return problem(res, 400, 'invalid-client', e.message);
      throw e;
    }
    res.status(existed ? 200 : 201).json(oneClient(stored));
  }

  router.put('/clients/:clientId', jsonBody('64kb'), (req, res) => upsert(req, res, req.params.clientId as string));
  router.post('/clients', jsonBody('64kb'), (req, res) => upsert(req, res, undefined));

  router.delete('/clients/:clientId', (req, res) => {
    if (!deps.clients.remove(req.params.clientId as string))
      return problem(res, 404, 'unknown-client', `no client "${req.params.clientId}"`);
    res.status(204).end();
  });

  router.post('/clients/:clientId/contract-pass', jsonBody('16kb'), (req, res) => {
    const clientId = req.params.clientId as string;
    if (!deps.clients.get(clientId)) {
      return problem(
        res,
        404,
        'unknown-client',
        `no client "${clientId}"; configure it (platform.clients or PUT /_harness/clients/${clientId}) before recording a contract pass`,
      );
    }
    const body = req.body as unknown;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      return problem(
        res,
        400,
        'bad-request',
        'the body is optional; when sent it must be a JSON object (e.g. {"suites":["schema","rules"],"report":"pca-harness-report/report.json"})',
      );
    }
    const detail = body && Object.keys(body).length > 0 ? redact(body as Record<string, unknown>) : undefined;
    const pass = deps.passes.record(clientId, clock.now(), detail);
    const scheduled = deps.scheduleRegistered(clientId);
    res.json({
      ...pass,
      scheduled: {
        queued: scheduled.queued,
        ...(scheduled.notPullable ? { notPullable: scheduled.notPullable.message } : {}),
      },
    });
  });

  router.delete('/clients/:clientId/contract-pass', (req, res) => {
    const removed = deps.passes.revoke(req.params.clientId as string);
    res.status(removed ? 200 : 404).json({ clientId: req.params.clientId, revoked: removed });
  });

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
      return problem(
        res,
        400,
        'bad-request',
        'send {"clientId": "...", "nhsNumbers"?: ["..."]}; without nhsNumbers every patient registered for the client is pulled',
      );
    }
    if (body.nhsNumbers === undefined) return res.status(202).json(deps.scheduleRegistered(body.clientId));
    if (!Array.isArray(body.nhsNumbers) || body.nhsNumbers.length === 0)
      return problem(res, 400, 'bad-request', 'nhsNumbers must be a non-empty array of NHS numbers');
    const bad = body.nhsNumbers.findIndex((n) => !checkNhsNumber(n).valid);
    if (bad >= 0)
      return problem(res, 400, 'bad-request', `nhsNumbers[${bad}]: ${checkNhsNumber(body.nhsNumbers[bad]).message}`);
    const result = deps.scheduler.schedule(body.clientId, body.nhsNumbers as string[]);
    res
      .status(result.notPullable ? 409 : 202)
      .json(
        result.notPullable
          ? { ...result, error: result.notPullable.reason, message: result.notPullable.message }
          : result,
      );
  });

  router.use(bodyErrorHandler((res, info) => problem(res, info.status, info.problem, info.message)));
  return router;
}
