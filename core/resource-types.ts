/**
 * The one table from a producer resource type to the names it goes by: the key used in flags and
 * config (`--paths appointments=/fhir/Appointment`, `supplier.paths.appointments`, `--clients`) and
 * the standard's endpoint path. Everything that maps between them reads it from here.
 */
import { PRODUCER_RESOURCE_TYPES, type ProducerResourceType } from './fhir';

/** How flags, config and payload kinds name each resource type. */
export type ResourceKey = 'appointments' | 'documents' | 'tasks';

export const RESOURCE_TYPES: Readonly<Record<ProducerResourceType, { key: ResourceKey; path: string }>> = {
  Appointment: { key: 'appointments', path: '/Appointment' },
  DocumentReference: { key: 'documents', path: '/DocumentReference' },
  Task: { key: 'tasks', path: '/Task' },
};

/** Resource type -> its key (`Appointment` -> `appointments`). */
export const RESOURCE_KEYS: Readonly<Record<ProducerResourceType, ResourceKey>> = {
  Appointment: RESOURCE_TYPES.Appointment.key,
  DocumentReference: RESOURCE_TYPES.DocumentReference.key,
  Task: RESOURCE_TYPES.Task.key,
};

/** The standard's endpoint path of each resource type. */
export const DEFAULT_PATHS: Readonly<Record<ProducerResourceType, string>> = {
  Appointment: RESOURCE_TYPES.Appointment.path,
  DocumentReference: RESOURCE_TYPES.DocumentReference.path,
  Task: RESOURCE_TYPES.Task.path,
};

/** Key -> resource type; `undefined` for a key that is not one (case-insensitive). */
export function resourceTypeOfKey(key: string): ProducerResourceType | undefined {
  const k = key.trim().toLowerCase();
  return PRODUCER_RESOURCE_TYPES.find((t) => RESOURCE_KEYS[t] === k);
}

/** `{ appointments, documents, tasks }` (config shape) -> paths by resource type. */
export function pathsByType(keyed: Readonly<Record<ResourceKey, string>>): Record<ProducerResourceType, string> {
  return {
    Appointment: keyed.appointments,
    DocumentReference: keyed.documents,
    Task: keyed.tasks,
  };
}
