/**
 * Turns the Authorization header of a `/records` call into a CredentialCheck: an API key mapped to
 * a client, an access token from the platform's OAuth mock, or what exactly is wrong with it. The
 * credential itself is never kept: verdicts see a short SHA-256 fingerprint only.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock';
import type { KeyRing } from '../../core/keys';
import { looksLikeJwt, verifyAccessToken } from '../oauth/tokens';
import type { ClientRegistry } from './clients';
import { SPEC_EXAMPLE_API_KEY, looksLikePlaceholder, type CredentialCheck } from './judge';

export function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

function unknownKeyNote(key: string, clients: ClientRegistry): string | undefined {
  if (key === SPEC_EXAMPLE_API_KEY) return 'it is the example API key from the Record Service specification';
  if (looksLikePlaceholder(key)) return 'it looks like a template placeholder, not a key';
  const unquoted = key.replace(/^["']|["']$/g, '');
  if (unquoted !== key && clients.byApiKey(unquoted))
    return `it is a registered key wrapped in quotes: send it without them`;
  if (/^Bearer\s/i.test(key)) return 'the header says "Bearer" twice';
  return undefined;
}

export async function checkCredential(
  header: string | undefined,
  deps: { clients: ClientRegistry; keyRing: KeyRing; tokenUrl: string; clock: Clock },
): Promise<CredentialCheck> {
  if (header === undefined || header.trim() === '') return { kind: 'none' };
  const m = /^Bearer[ \t]+(\S.*)$/i.exec(header.trim());
  if (!m) {
    const sp = header.trim().search(/\s/);
    return { kind: 'not-bearer', scheme: sp > 0 ? header.trim().slice(0, sp) : '' };
  }
  const credential = m[1]!.trim();
  const fp = fingerprint(credential);
  if (looksLikeJwt(credential)) {
    const check = await verifyAccessToken(credential, {
      keyRing: deps.keyRing,
      tokenUrl: deps.tokenUrl,
      clock: deps.clock,
    });
    if (!check.ok)
      return {
        kind: 'token-rejected',
        problem: check.problem,
        message: check.message,
        clientId: check.clientId,
        fingerprint: fp,
      };
    const client = deps.clients.get(check.clientId);
    if (!client) {
      return {
        kind: 'token-rejected',
        problem: 'not-issued-here',
        message: `the token was issued to clientId "${check.clientId}", which is no longer registered`,
        clientId: check.clientId,
        fingerprint: fp,
      };
    }
    return { kind: 'access-token', client, fingerprint: fp };
  }
  const client = deps.clients.byApiKey(credential);
  if (client) return { kind: 'api-key', client, fingerprint: fp };
  return {
    kind: 'unknown-api-key',
    fingerprint: fp,
    length: credential.length,
    note: unknownKeyNote(credential, deps.clients),
  };
}
