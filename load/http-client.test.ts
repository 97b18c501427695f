import express from 'express';
import { listen, type RunningServer } from '../core/http';
import { createLoadHttpClient, TransportError } from './http-client';

describe('the load runner HTTP client', () => {
  let server: RunningServer;
  const client = createLoadHttpClient(10);
  beforeAll(async () => {
    const app = express();
    app.use(express.text({ type: '*/*' }));
    app.get('/fast', (req, res) => {
      res.set('X-Correlation-ID', req.get('x-correlation-id') ?? '').json({ ok: true });
    });
    app.post('/echo', (req, res) => {
      res.status(201).send(req.body as string);
    });
    // These two never finish: only the client's timeout can end them, however slow the machine.
    app.get('/slow', () => undefined);
    app.get('/stall-body', (_req, res) => {
      res.status(200).write('{"partial":');
    });
    server = await listen(app);
  });
  afterAll(async () => {
    client.close();
    await server.close();
  });

  it('returns status, headers and body, and sends a body with its length', async () => {
    const r = await client.send({
      method: 'GET',
      url: new URL(`${server.url}/fast`),
      headers: { 'X-Correlation-ID': 'abc' },
      timeoutMs: 2000,
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-correlation-id']).toBe('abc');
    expect(JSON.parse(r.body)).toEqual({ ok: true });
    const p = await client.send({
      method: 'POST',
      url: new URL(`${server.url}/echo`),
      headers: { 'Content-Type': 'text/plain' },
      body: 'héllo',
      timeoutMs: 2000,
    });
    expect([p.status, p.body]).toEqual([201, 'héllo']);
  });

  it('gives up after the timeout, before or during the body, and says so', async () => {
    await expect(client.send({ method: 'GET', url: new URL(`${server.url}/slow`), timeoutMs: 100 })).rejects.toEqual(
      new TransportError('no answer within 100 ms'),
    );
    await expect(
      client.send({ method: 'GET', url: new URL(`${server.url}/stall-body`), timeoutMs: 100 }),
    ).rejects.toEqual(new TransportError('no answer within 100 ms'));
  });

  it('names a refused connection', async () => {
    const gone = await listen(express());
    const url = new URL(`${gone.url}/x`);
    await gone.close();
    await expect(client.send({ method: 'GET', url, timeoutMs: 1000 })).rejects.toEqual(
      new TransportError('connection refused'),
    );
  });
});
