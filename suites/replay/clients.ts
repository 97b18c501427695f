/**
 * Which Record Service clients a replay registers patients under (one clientId per resource type, as
 * the PCA onboards suppliers) and how each is pointed at the supplier's API, so the aggregator pulls
 * from it. With `--upload self` replay uses its own clients and API keys unless told otherwise; with
 * `--upload supplier` it uses the clients the supplier's own upload client authenticates as.
 */
import { randomBytes } from 'node:crypto';
import { type ClientConfig, ConfigError, type SupplierEndpoint } from '../../core/config';
import type { SupplierAccess } from '../../core/access';
import { PRODUCER_RESOURCE_TYPES, type ProducerResourceType } from '../../core/fhir';
import { DEFAULT_PATHS, RESOURCE_KEYS } from '../../core/resource-types';
import type { ClientState, PlatformAccess } from './access';

export type UploadMode = 'self' | 'supplier';

/** The clientIds replay registers under when it uploads for the supplier and none are named. */
export const REPLAY_CLIENT_IDS: Record<ProducerResourceType, string> = {
  Appointment: 'pca-harness-replay-appointments',
  DocumentReference: 'pca-harness-replay-documents',
  Task: 'pca-harness-replay-tasks',
};

export interface PlannedClient {
  clientId: string;
  resourceType: ProducerResourceType;
  /** The supplier endpoint path the aggregator pulls from. */
  path: string;
  /** Set with `--upload self`: the key replay posts /records with. Never shown. */
  apiKey?: string;
  /** True when onboarding changed where or how the platform pulls, so the platform re-pulls everyone registered. */
  endpointChanged: boolean;
}

export interface PlanInput {
  access: PlatformAccess;
  upload: UploadMode;
  supplierUrl: string;
  paths: Partial<Record<ProducerResourceType, string>>;
  auth: SupplierAccess;
  /** ClientIds named by the caller (`--clients`). */
  clientIds?: Partial<Record<ProducerResourceType, string>>;
  /** Client configurations this process knows with their credentials (the config's platform.clients). */
  knownClients?: readonly ClientConfig[];
}

function sameEndpoint(state: ClientState, endpoint: SupplierEndpoint, type: ProducerResourceType): boolean {
  const e = state.endpoint;
  if (!e) return false;
  const path = (p: string | undefined) => p ?? DEFAULT_PATHS[type];
  if (
    e.url.replace(/\/+$/, '') !== endpoint.url.replace(/\/+$/, '') ||
    path(e.path) !== path(endpoint.path) ||
    e.authType !== endpoint.auth.type
  )
    return false;
  // The secrets are not visible remotely; in process, compare them too.
  return !state.config?.endpoint || JSON.stringify(state.config.endpoint.auth) === JSON.stringify(endpoint.auth);
}

function newApiKey(): string {
  return `pca-harness-replay-${randomBytes(18).toString('base64url')}`;
}

/** Resolves, checks and onboards one client per resource type in `paths`. */
export async function onboardClients(input: PlanInput): Promise<PlannedClient[]> {
  const types = PRODUCER_RESOURCE_TYPES.filter((t) => input.paths[t] !== undefined);
  const onPlatform = await input.access.listClients();
  const known = new Map((input.knownClients ?? []).map((c) => [c.clientId, c]));
  const planned: PlannedClient[] = [];
  const used = new Set<string>();

  for (const type of types) {
    const path = input.paths[type]!;
    let clientId = input.clientIds?.[type];
    if (!clientId) {
      if (input.upload === 'self') clientId = REPLAY_CLIENT_IDS[type];
      else {
        // The config's client when the platform has it, else the platform's own (never one replay made for itself).
        const ofType = onPlatform.filter((c) => c.resourceType === type && c.clientId !== REPLAY_CLIENT_IDS[type]);
        clientId =
          ofType.find((c) => known.has(c.clientId))?.clientId ??
          ofType[0]?.clientId ??
          input.knownClients?.find((c) => c.resourceType === type)?.clientId;
        if (!clientId) {
          throw new ConfigError(
            `--upload supplier: no Record Service client for ${type} is configured, so your upload client has nothing to register under. ` +
              `Add it to platform.clients in the config (clientId, resourceType "${type}", and apiKey or jwks: see docs/platform.md), ` +
              `name it with --clients ${RESOURCE_KEYS[type]}=ID, or leave ${RESOURCE_KEYS[type]} out of --paths.`,
          );
        }
      }
    }
    if (used.has(clientId))
      throw new ConfigError(
        `--clients: clientId "${clientId}" is given for two resource types; each Record Service needs its own clientId`,
      );
    used.add(clientId);

    const existing = onPlatform.find((c) => c.clientId === clientId);
    if (existing && existing.resourceType !== type) {
      throw new ConfigError(
        `clientId "${clientId}" feeds the ${existing.resourceType} Record Service on the platform, not ${type}; name another one with --clients ${RESOURCE_KEYS[type]}=ID`,
      );
    }
    const endpoint: SupplierEndpoint = {
      url: input.supplierUrl,
      ...(path !== DEFAULT_PATHS[type] ? { path } : {}),
      auth: input.auth,
    };
    // The whole configuration, secrets included: in process from the platform, remotely from our config.
    const base: ClientConfig | undefined = existing?.config ?? known.get(clientId);
    const ownClient = clientId === REPLAY_CLIENT_IDS[type];

    if (input.upload === 'self') {
      // Replacing a client whose configuration we cannot see would drop its credentials.
      if (existing && !base && !ownClient) {
        throw new ConfigError(
          `--upload self cannot post /records as clientId "${clientId}": the platform holds its configuration (and API key), but this config does not. ` +
            'Run replay with the config the platform was started with (--config), or leave out --clients to let replay use its own clients.',
        );
      }
      const apiKey = base?.apiKey ?? newApiKey();
      const config: ClientConfig = { ...(base ?? {}), clientId, resourceType: type, apiKey, endpoint };
      const changed = !existing || !sameEndpoint(existing, endpoint, type);
      await input.access.putClient(config);
      planned.push({ clientId, resourceType: type, path, apiKey, endpointChanged: changed });
      continue;
    }

    if (!existing) {
      throw new ConfigError(
        `--upload supplier: clientId "${clientId}" is not configured on the platform ${input.access.urls.base}, so the Record Service would refuse your upload client. ` +
          'Add it to platform.clients in the config the platform runs with (see docs/platform.md).',
      );
    }
    if (sameEndpoint(existing, endpoint, type)) {
      planned.push({ clientId, resourceType: type, path, endpointChanged: false });
      continue;
    }
    if (!base) {
      throw new ConfigError(
        `clientId "${clientId}" on the platform ${input.access.urls.base} does not pull from ${input.supplierUrl}${path}, and replay cannot re-point it without its credentials. ` +
          'Run replay with the config the platform was started with (--config), or set the endpoint in that config (platform.clients[].endpoint).',
      );
    }
    await input.access.putClient({ ...base, clientId, resourceType: type, endpoint });
    planned.push({ clientId, resourceType: type, path, endpointChanged: true });
  }

  for (const p of planned) {
    const state = await input.access.client(p.clientId);
    if (!state?.pulls.enabled) {
      throw new ConfigError(
        `the platform will not pull for clientId "${p.clientId}": ${state?.pulls.message ?? 'it is not configured'}`,
      );
    }
  }
  return planned;
}
