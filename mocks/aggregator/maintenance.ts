/**
 * The maintenance switch (consumer:WF-NFR-06: during a maintenance window the API answers 503) and
 * the harness routes a consumer-side test uses around the consumer API, mounted under `/_harness`:
 *
 *   GET  /_harness/maintenance            {on, since?, message?}
 *   PUT  /_harness/maintenance            {on: true|false, message?}: switch it
 *   GET  /_harness/steering               the codes, examples and scenarios `Prefer` accepts
 *   GET  /_harness/aggregator/fan-out     aggregator and upstream latency, and the fan-out overhead
 *   DELETE /_harness/aggregator/fan-out   start the figures afresh (a load run does, before it starts)
 */
import express, { type Router } from 'express';
import { type Clock, systemClock } from '../../core/clock';
import { jsonBody } from '../../core/http';
import { harnessBodyErrors, harnessError } from '../harness-errors';
import type { FanOutStats } from './fan-out';
import { steeringCatalogue } from './steering';

export interface MaintenanceState {
  on: boolean;
  since?: string;
  message?: string;
}

export class MaintenanceSwitch {
  private state: MaintenanceState = { on: false };

  constructor(private readonly clock: Clock = systemClock) {}

  get on(): boolean {
    return this.state.on;
  }

  get message(): string | undefined {
    return this.state.message;
  }

  set(on: boolean, message?: string): MaintenanceState {
    this.state = on ? { on, since: this.clock.now().toISOString(), ...(message ? { message } : {}) } : { on: false };
    return this.view();
  }

  view(): MaintenanceState {
    return { ...this.state };
  }
}

export function createConsumerHarnessRouter(deps: { maintenance: MaintenanceSwitch; fanOut?: FanOutStats }): Router {
  const router = express.Router();
  router.get('/aggregator/fan-out', (_req, res) => {
    if (!deps.fanOut) return harnessError(res, 404, 'not-found', 'no fan-out figures here');
    res.set('Cache-Control', 'no-store').json(deps.fanOut.snapshot());
  });
  router.delete('/aggregator/fan-out', (_req, res) => {
    deps.fanOut?.reset();
    res.status(204).end();
  });
  router.get('/maintenance', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(deps.maintenance.view());
  });
  router.put('/maintenance', jsonBody(), (req, res) => {
    const body = req.body as { on?: unknown; message?: unknown } | undefined;
    if (typeof body?.on !== 'boolean') {
      return harnessError(
        res,
        400,
        'bad-request',
        'send {"on": true} to start a maintenance window or {"on": false} to end it (optional "message")',
      );
    }
    if (body.message !== undefined && (typeof body.message !== 'string' || body.message.length > 500)) {
      return harnessError(res, 400, 'bad-request', '"message" must be a string of at most 500 characters');
    }
    res.json(deps.maintenance.set(body.on, body.message as string | undefined));
  });
  router.get('/steering', (_req, res) => {
    res.json(steeringCatalogue());
  });
  router.use(harnessBodyErrors());
  return router;
}
