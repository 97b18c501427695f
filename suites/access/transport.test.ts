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
    const paths: string[] = [];
    const s = await listen((r: IncomingMessage, res: ServerResponse) => {
      paths.push(r.url ?? '');
      res.setHeader('Content-Type', 'application/fhir+json');
      res.setHeader('X-Correlation-ID', 'c-1');
      res.end('{"resourceType":"Bundle"}');
    });
    // Virtual time: a wait moves the clock on by exactly what was asked, and is recorded.
    const waits: number[] = [];
    let now = 0;
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        waits.push(ms);
        now += ms;
      },
    };
    try {
      const t = httpTransport({ burst: 3, ratePerSecond: 20, clock });
      const paced = await Promise.all(Array.from({ length: 8 }, () => t(req(`${s.url}/Appointment`))));
      // 3 at once, then 5 more at 20 per second: one 50 ms wait before each.
      expect(waits).toEqual([50, 50, 50, 50, 50]);
      expect(now).toBe(250);
      expect(paced[0]).toMatchObject({
        status: 200,
        headers: { 'content-type': 'application/fhir+json', 'x-correlation-id': 'c-1' },
        json: { resourceType: 'Bundle' },
      });
      // Another endpoint has its own bucket, and unpaced requests skip the bucket: no more waits,
      // although the /Appointment bucket is empty.
      await Promise.all([
        t(req(`${s.url}/Task`)),
        ...Array.from({ length: 5 }, () => t(req(`${s.url}/Appointment`, { unpaced: true }))),
      ]);
      expect(waits).toHaveLength(5);
      expect(paths.filter((p) => p === '/Task')).toHaveLength(1);
      expect(paths).toHaveLength(14);
      // And the next paced one to /Appointment waits again.
      await t(req(`${s.url}/Appointment`));
      expect(waits).toEqual([50, 50, 50, 50, 50, 50]);
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
