/**
 * Where `check` runs its NHS login: on the issuer the supplier trusts when it can, on a running
 * platform's when that holds the port, elsewhere (and saying so) when something else does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { startNhsLogin } from './nhs-login-session';

const pack = buildDefaultPack(new Date());
const keyRing = new KeyRing();

async function freePort(): Promise<number> {
  const s = await listen((_req: IncomingMessage, res: ServerResponse) => res.end());
  const port = s.port;
  await s.close();
  return port;
}

describe('startNhsLogin', () => {
  it("listens on the configured issuer's port, serving that issuer", async () => {
    const issuer = `http://127.0.0.1:${await freePort()}/nhs-login`;
    const s = await startNhsLogin({ issuer, pack, keyRing });
    try {
      expect(s).toMatchObject({ url: issuer, issuer, persistent: false });
      expect(s.notice).toBeUndefined();
      const conf = (await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => r.json())) as {
        issuer: string;
      };
      expect(conf.issuer).toBe(issuer);
    } finally {
      await s.close();
    }
  });

  it('uses an NHS login mock already running on that port', async () => {
    const first = await startNhsLogin({ issuer: 'http://127.0.0.1:0/nhs-login', pack, keyRing });
    try {
      const second = await startNhsLogin({ issuer: first.issuer, pack, keyRing });
      expect(second).toMatchObject({ url: first.issuer, persistent: true });
      expect(second.notice).toMatch(/is in use by a running NHS login mock/);
      await second.close();
      // The first one is still up: closing the borrowed one did not stop it.
      expect((await fetch(`${first.issuer}/.well-known/jwks.json`)).status).toBe(200);
    } finally {
      await first.close();
    }
  });

  it('moves to a free port, and says what that means, when something else holds the port', async () => {
    const other = await listen((_req: IncomingMessage, res: ServerResponse) => {
      res.statusCode = 404;
      res.end();
    });
    try {
      const issuer = `http://127.0.0.1:${other.port}/nhs-login`;
      const s = await startNhsLogin({ issuer, pack, keyRing });
      try {
        expect(s.url).not.toBe(issuer);
        expect(s.notice).toBe(
          `port ${other.port} is in use, so the NHS login mock runs on another port; a supplier that trusts ${issuer} will refuse its ID tokens (free the port, or point the supplier at the issuer below): ${s.url}`,
        );
      } finally {
        await s.close();
      }
    } finally {
      await other.close();
    }
  });

  it('cannot serve a remote issuer: runs locally and says so', async () => {
    const s = await startNhsLogin({ issuer: 'https://auth.sandpit.signin.nhs.uk', pack, keyRing });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/nhs-login$/);
      expect(s.notice).toMatch(
        /^the supplier's NHS login issuer https:\/\/auth\.sandpit\.signin\.nhs\.uk is not a local http address/,
      );
    } finally {
      await s.close();
    }
  });
});
