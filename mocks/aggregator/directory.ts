/**
 * What the aggregator needs to know about suppliers, as narrow interfaces: which clientIds hold a
 * registration for a patient, and how (and whether) to call the supplier behind a clientId. The
 * platform backs them with the Record Service's registration store and client registry.
 */
import type { ClientConfig, SupplierEndpoint } from '../../core/config';
import type { ProducerResourceType } from '../../core/fhir';

export interface SupplierDirectory {
  client(clientId: string): ClientConfig | undefined;
  /** Whether the supplier's contract checks have passed (`check` records it). */
  contractPassed(clientId: string): boolean;
}

export interface RegistrationLookup {
  /** The clientIds holding a registration for this patient. */
  clientIdsFor(nhsNumber: string): string[];
}

export type PullTarget =
  | { ok: true; clientId: string; resourceType: ProducerResourceType; endpoint: SupplierEndpoint }
  | {
      ok: false;
      clientId: string;
      reason: 'unknown-client' | 'no-supplier-endpoint' | 'contract-checks-not-passed';
      message: string;
    };

/**
 * Whether the aggregator may call the supplier behind a clientId: it must have an endpoint and, when
 * it requires one, a recorded contract pass (as INT onboarding does).
 */
export function pullTarget(dir: SupplierDirectory, clientId: string): PullTarget {
  const c = dir.client(clientId);
  if (!c) return { ok: false, clientId, reason: 'unknown-client', message: `clientId ${clientId} is not configured` };
  if (!c.endpoint) {
    return {
      ok: false,
      clientId,
      reason: 'no-supplier-endpoint',
      message: `clientId ${clientId} has no endpoint configured (platform.clients[].endpoint)`,
    };
  }
  if (c.requireContractPass && !dir.contractPassed(clientId)) {
    return {
      ok: false,
      clientId,
      reason: 'contract-checks-not-passed',
      message: `clientId ${clientId} requires a contract pass before pulls (POST /_harness/clients/${clientId}/contract-pass)`,
    };
  }
  return { ok: true, clientId, resourceType: c.resourceType, endpoint: c.endpoint };
}
