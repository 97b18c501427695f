/**
 * The HTTP transport paces requests per endpoint so a check run never trips the supplier's 60 TPS
 * limit itself; only the throttle burst (unpaced) may.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, UnreachableError } from '../../core/http';
import type { HttpRequest } from '../checks/check';
import { httpTransport } from './transport';

const req = (url: string, over: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  url,
  headers: {},
  label: 't',
  access: 'none',
  idToken: 'none',
  ...over,
});

describe('httpTransport', () => {
  it('spaces requests to one endpoint beyond the burst, and lets unpaced ones through at once', async () => {
    const arrivals: Array<{ path: string; at: number }> = [];
    const s = await listen((r: IncomingMessage, res: ServerResponse) => {
      arrivals.push({ path: r.url ?? '', at: performance.now() });
      res.setHeader('Content-Type', 'application/fhir+json');
      res.setHeader('X-Correlation-ID', 'c-1');
      res.end('{"resourceType":"Bundle"}');
    });
    try {
      const t = httpTransport({ burst: 3, ratePerSecond: 20 });
      const started = performance.now();
      const paced = await Promise.all(Array.from({ length: 8 }, () => t(req(`${s.url}/Appointment`))));
      const pacedMs = performance.now() - started;
      // 3 at once, then 5 more at 20 per second: at least about 250 ms.
      expect(pacedMs).toBeGreaterThanOrEqual(230);
      expect(paced[0]).toMatchObject({
        status: 200,
        headers: { 'content-type': 'application/fhir+json', 'x-correlation-id': 'c-1' },
        json: { resourceType: 'Bundle' },
      });
      // Another endpoint has its own bucket, and unpaced requests skip the bucket.
      const before = performance.now();
      await Promise.all([
        t(req(`${s.url}/Task`)),
        ...Array.from({ length: 5 }, () => t(req(`${s.url}/Appointment`, { unpaced: true }))),
      ]);
      // Paced, the five would wait about 250 ms for the drained bucket.
      expect(performance.now() - before).toBeLessThan(220);
      expect(arrivals).toHaveLength(14);
    } finally {
      await s.close();
    }
  });

  it('a connection failure is UnreachableError', async () => {
    const s = await listen((_r: IncomingMessage, res: ServerResponse) => res.end());
    const url = s.url;
    await s.close();
    await expect(httpTransport()(req(`${url}/Appointment`))).rejects.toBeInstanceOf(UnreachableError);
  });
});
