/**
 * RS512 signing keys. A key ring holds named key pairs; with a state directory each pair is
 * persisted as a private JWK (mode 0600) so JWKS stay stable across restarts, without one the
 * keys live in memory (tests).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';

export const SIGNING_ALG = 'RS512';

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicKey: KeyLike;
  publicJwk: JWK;
}

export interface Jwks {
  keys: JWK[];
}

export async function generateSigningKey(): Promise<{ key: SigningKey; privateJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALG, use: 'sig' };
  return {
    key: { kid, privateKey, publicKey, publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' } },
    privateJwk,
  };
}

export async function signingKeyFromJwk(privateJwk: JWK): Promise<SigningKey> {
  if (privateJwk.kty !== 'RSA' || !privateJwk.d) throw new Error('expected a private RSA JWK');
  const privateKey = (await importJWK(privateJwk, SIGNING_ALG)) as KeyLike;
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = privateJwk;
  const publicKey = (await importJWK(pub, SIGNING_ALG)) as KeyLike;
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(pub));
  return { kid, privateKey, publicKey, publicJwk: { ...pub, kid, alg: SIGNING_ALG, use: 'sig' } };
}

export class KeyRing {
  private readonly keys = new Map<string, Promise<SigningKey>>();

  /** @param stateDir where keys persist (`<stateDir>/keys/<name>.jwk.json`); undefined keeps them in memory. */
  constructor(private readonly stateDir?: string) {}

  /** The key pair called `name`, created on first use. Concurrent callers share one creation. */
  get(name: string): Promise<SigningKey> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
      throw new Error(`key name must be lower-case letters, digits and dashes: "${name}"`);
    let p = this.keys.get(name);
    if (!p) {
      p = this.load(name);
      this.keys.set(name, p);
      p.catch(() => this.keys.delete(name));
    }
    return p;
  }

  async jwks(...names: string[]): Promise<Jwks> {
    const keys = await Promise.all(names.map((n) => this.get(n)));
    return { keys: keys.map((k) => k.publicJwk) };
  }

  private async load(name: string): Promise<SigningKey> {
    if (!this.stateDir) return (await generateSigningKey()).key;
    const file = path.join(this.stateDir, 'keys', `${name}.jwk.json`);
    try {
      return await signingKeyFromJwk(JSON.parse(await fs.readFile(file, 'utf8')) as JWK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(`cannot read signing key ${file}: ${(e as Error).message}`);
    }
    const { key, privateJwk } = await generateSigningKey();
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, JSON.stringify(privateJwk, null, 2), { mode: 0o600 });
    try {
      // Another process may have won the race: keep whichever landed first.
      await fs.link(tmp, file);
      return key;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return signingKeyFromJwk(JSON.parse(await fs.readFile(file, 'utf8')) as JWK);
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }
}
