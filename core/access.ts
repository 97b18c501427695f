/**
 * How the PCA (and so the harness) authenticates to a supplier's API: one shape, `SupplierAccess`,
 * for check, replay, verify, the aggregator's pulls and the config file's `platform.clients[].endpoint.auth`,
 * and one builder from the flags every command shares.
 */
import { UsageError } from './errors';

/** An access token from the supplier's token URL (client credentials), or one given token sent as is. */
export type SupplierAccess =
  | {
      type: 'client_credentials';
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      /** How the client authenticates at the token URL; default `client_secret_basic`. */
      method?: 'client_secret_basic' | 'client_secret_post';
    }
  | { type: 'static'; token: string };

/** The access flags as given (`--bearer`, `--token-url`, `--client-id`, `--client-secret`); all optional. */
export interface SupplierAccessInput {
  bearer?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
}

/** `v` as an http(s) URL without trailing slashes, or a UsageError naming `name`. */
export function httpUrl(name: string, v: string): string {
  if (!/^https?:\/\/[^/]/.test(v)) throw new UsageError(`${name} must be an http(s) URL, got "${v}"`);
  return v.replace(/\/+$/, '');
}

/**
 * The one builder: a given bearer token, else client credentials at the given token URL (default
 * `{supplierUrl}/oauth2/token`) with the given client, falling back to `defaults` (the config's
 * `supplier.clientId` / `supplier.clientSecret`).
 *
 * @example
 * ```ts
 * supplierAccess('http://127.0.0.1:7171', { clientSecret: 's3cret' }, { clientId: 'pca', clientSecret: '' });
 * // { type: 'client_credentials', tokenUrl: 'http://127.0.0.1:7171/oauth2/token', clientId: 'pca', clientSecret: 's3cret' }
 * ```
 */
export function supplierAccess(
  supplierUrl: string,
  input: SupplierAccessInput,
  defaults: { clientId: string; clientSecret: string },
): SupplierAccess {
  if (input.bearer !== undefined) {
    if (input.tokenUrl || input.clientId || input.clientSecret)
      throw new UsageError('give either --bearer or --token-url/--client-id/--client-secret, not both');
    if (!input.bearer.trim()) throw new UsageError('--bearer must not be empty');
    return { type: 'static', token: input.bearer };
  }
  return {
    type: 'client_credentials',
    tokenUrl: input.tokenUrl
      ? httpUrl('--token-url', input.tokenUrl)
      : `${httpUrl('--supplier', supplierUrl)}/oauth2/token`,
    clientId: input.clientId ?? defaults.clientId,
    clientSecret: input.clientSecret ?? defaults.clientSecret,
  };
}
