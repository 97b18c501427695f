/**
 * The one client-admin router of the harness (mounted under `/_harness`, by the platform and by the
 * standalone Record Service app): list, read, register or replace, and remove supplier clients at
 * runtime, with the harness admin API's one error catalogue (`../harness-errors`). What a client's
 * view adds beyond its public configuration (the aggregator's contract pass and pull status) and
 * recording a contract pass are an optional, injected extension.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { ClientConfig } from '../../core/config';
import { jsonBody } from '../../core/http';
import { harnessBodyErrors, harnessError } from '../harness-errors';
import { type ClientRegistry, ClientValidationError, publicClientView } from './clients';

export interface ClientAdminExtension {
  /** Fields added to a client's view (e.g. `contractPass`, `pulls`). */
  view(client: ClientConfig): Record<string, unknown>;
  /**
   * Records and revokes contract passes (`POST`/`DELETE /clients/:clientId/contract-pass`); without
   * it those endpoints do not exist.
   */
  contractPass?: {
    /** `detail` is the optional JSON object sent with the pass; answers the response body. */
    record(clientId: string, detail: Record<string, unknown> | undefined): Record<string, unknown>;
    revoke(clientId: string): boolean;
  };
}

export interface ClientAdminDeps {
  clients: ClientRegistry;
  extension?: ClientAdminExtension;
}

const EXAMPLE_CLIENT =
  '{"resourceType":"Appointment","apiKey":"...","endpoint":{"url":"http://127.0.0.1:7171","auth":{"type":"static","token":"..."}}}';

export function createClientAdminRouter(deps: ClientAdminDeps): Router {
  const { clients, extension } = deps;
  const router = express.Router();

  const clientView = (c: ClientConfig) => ({ ...publicClientView(c), ...extension?.view(c) });
  // One client answers as its view at the top level and, the same, under `client` (as the list's
  // `clients`): `check` reads the first, `replay` the second.
  const oneClient = (c: ClientConfig) => {
    const view = clientView(c);
    return { ...view, client: view };
  };

  router.get('/clients', (_req, res) => {
    res.json({ clients: clients.list().map(clientView) });
  });

  router.get('/clients/:clientId', (req, res) => {
    const c = clients.get(req.params.clientId);
    if (!c)
      return harnessError(
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
      return harnessError(
        res,
        400,
        'bad-request',
        `send the client as a JSON object (Content-Type: application/json), e.g. ${EXAMPLE_CLIENT}`,
      );
    }
    const given = (body as { clientId?: unknown }).clientId;
    if (pathId !== undefined && given !== undefined && given !== pathId) {
      return harnessError(
        res,
        400,
        'bad-request',
        `the body's clientId "${String(given)}" differs from the one in the path "${pathId}"`,
      );
    }
    const clientId = pathId ?? given;
    if (typeof clientId !== 'string' || clientId === '')
      return harnessError(
        res,
        400,
        'bad-request',
        'the client needs a clientId (in the body for POST /_harness/clients, or PUT /_harness/clients/:clientId)',
      );
    const existed = clients.get(clientId) !== undefined;
    let stored: ClientConfig;
    try {
      stored = clients.upsert({ ...(body as Omit<ClientConfig, 'clientId'>), clientId });
    } catch (e) {
      if (e instanceof ClientValidationError) return harnessError(res, 400, 'invalid-client', e.message);
      throw e;
    }
    res.status(existed ? 200 : 201).json(oneClient(stored));
  }

  router.put('/clients/:clientId', jsonBody('64kb'), (req, res) => upsert(req, res, req.params.clientId as string));
  router.post('/clients', jsonBody('64kb'), (req, res) => upsert(req, res, undefined));

  router.delete('/clients/:clientId', (req, res) => {
    if (!clients.remove(req.params.clientId as string))
      return harnessError(res, 404, 'unknown-client', `no client "${req.params.clientId}"`);
    res.status(204).end();
  });

  const passes = extension?.contractPass;
  if (passes) {
    router.post('/clients/:clientId/contract-pass', jsonBody('16kb'), (req, res) => {
      const clientId = req.params.clientId as string;
      if (!clients.get(clientId)) {
        return harnessError(
          res,
          404,
          'unknown-client',
          `no client "${clientId}"; configure it (platform.clients or PUT /_harness/clients/${clientId}) before recording a contract pass`,
        );
      }
      const body = req.body as unknown;
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        return harnessError(
          res,
          400,
          'bad-request',
          'the body is optional; when sent it must be a JSON object (e.g. {"suites":["schema","rules"],"report":"pca-harness-report/report.json"})',
        );
      }
      const detail = body && Object.keys(body).length > 0 ? (body as Record<string, unknown>) : undefined;
      res.json(passes.record(clientId, detail));
    });

    router.delete('/clients/:clientId/contract-pass', (req, res) => {
      const removed = passes.revoke(req.params.clientId as string);
      res.status(removed ? 200 : 404).json({ clientId: req.params.clientId, revoked: removed });
    });
  }

  router.use(harnessBodyErrors());
  return router;
}
