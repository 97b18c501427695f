/**
 * Readings of a contradicting spec. Where the producer standard's schema, its examples and FHIR R4
 * disagree about a payload (docs/spec-errata.md), every reading the spec supports is accepted: this
 * module recognises the readings the contract schemas do not take, notes each one (erratum, where,
 * what would be safe under every reading) and rewrites a copy into the reading the schemas, the
 * checks and the fixture pack use. Validation, the rule checks and EVA all read that copy, so a
 * supplier built to the schema's own shape passes with warnings, and is judged on everything else
 * exactly like one built to FHIR R4.
 *
 * Pure and non-mutating: the input is never changed; only the parts that need rewriting are copied.
 */
import { FHIR_R4_ISSUE_TYPES, URLS } from './schemas/common';

/** A reading the payload took that the harness's schemas do not: reported as a warning, never a failure. */
export interface ReadingNote {
  /** The docs/spec-errata.md id, e.g. `E-08`. */
  erratum: string;
  /** RFC 6901 pointer into the payload as received. */
  pointer: string;
  /** What the payload does and which source supports it. */
  title: string;
  /** Short excerpt of what was received there. */
  received?: string;
  /** What a supplier could send to be safe under every reading. */
  hint: string;
}

export interface Read<T = unknown> {
  /** The payload in the harness's reading (the input itself when nothing needed rewriting). */
  value: T;
  notes: ReadingNote[];
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function excerpt(v: unknown, max = 120): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

const APPOINTMENT_EXTENSIONS: Record<string, string> = {
  [URLS.priority]: 'valueCoding',
  [URLS.requestStatus]: 'valueCode',
  [URLS.consultationMedium]: 'valueCode',
  [URLS.portalLink]: 'valueUrl',
};
const DOCUMENT_EXTENSIONS: Record<string, string> = { [URLS.readReceipt]: 'valueCode' };
const TASK_EXTENSIONS: Record<string, string> = { [URLS.taskTreatmentFunction]: 'valueCoding' };

/**
 * E-23: the spec's extension schemas are an `anyOf` whose Priority and Request-Status branches
 * require nothing, so any extension object is valid under the schema; the examples give every
 * extension a defined url and its value. An unknown url, or a defined one without its value, is
 * accepted with a warning and left out of the copy (it carries nothing the aggregator reads).
 */
function readExtensions(r: Obj, at: string, defined: Record<string, string>, notes: ReadingNote[]): Obj {
  if (!Array.isArray(r.extension)) return r;
  const kept: unknown[] = [];
  r.extension.forEach((ext, i) => {
    const url = isObj(ext) ? ext.url : undefined;
    const value = typeof url === 'string' ? defined[url] : undefined;
    if (typeof url !== 'string' || value === undefined) {
      notes.push({
        erratum: 'E-23',
        pointer: `${at}/extension/${i}`,
        title: `an extension the spec does not define for ${String(r.resourceType)} (the schema's anyOf admits any object; its examples use only the defined urls)`,
        received: excerpt(ext),
        hint: `send only the extensions the spec defines (${Object.keys(defined).join(', ')}); check the url for typos`,
      });
      return;
    }
    if (isObj(ext) && ext[value] === undefined) {
      notes.push({
        erratum: 'E-23',
        pointer: `${at}/extension/${i}`,
        title: `extension ${url} has no ${value} (the schema requires nothing in this branch; every example carries it)`,
        received: excerpt(ext),
        hint: `give the extension its ${value}, or leave the extension out`,
      });
      return;
    }
    kept.push(ext);
  });
  return kept.length === r.extension.length ? r : { ...r, extension: kept };
}

function hasCode(v: unknown, code: string): boolean {
  return isObj(v) && Array.isArray(v.coding) && v.coding.some((c) => isObj(c) && c.code === code);
}

function readAppointment(r: Obj, at: string, notes: ReadingNote[]): Obj {
  let out = readExtensions(r, at, APPOINTMENT_EXTENSIONS, notes);
  // E-04: the schema requires specialty, none of its examples has one.
  if (out.specialty === undefined)
    notes.push({
      erratum: 'E-04',
      pointer: `${at}/specialty`,
      title: "Appointment.specialty is absent (the spec's examples omit it; its schema requires it)",
      hint: `send "specialty": [{"coding": [{"system": "${URLS.specialty}", "code": "<3-digit code>", "display": "<name>"}]}]: valid under every reading`,
    });
  // E-05: Consultation-Medium is "(required)", but the inpatient example has none (the schema takes that reading).
  const hasMedium =
    Array.isArray(out.extension) && out.extension.some((e) => isObj(e) && e.url === URLS.consultationMedium);
  if (!hasMedium && hasCode(out.appointmentType, 'IMP'))
    notes.push({
      erratum: 'E-05',
      pointer: `${at}/extension`,
      title:
        "an inpatient (IMP) appointment without Consultation-Medium (as the spec's inpatient example; the spec marks it required)",
      hint: `add {"url": "${URLS.consultationMedium}", "valueCode": "FACE_TO_FACE" | "VIDEO_CONSULTATION" | "TELEPHONE"}: valid under every reading`,
    });
  // E-17: the spec (schema and example) gives basedOn[].identifier as an array; FHIR R4 one Identifier.
  if (Array.isArray(out.basedOn) && out.basedOn.some((b) => isObj(b) && isObj(b.identifier))) {
    out = {
      ...out,
      basedOn: out.basedOn.map((b: unknown, i) => {
        if (!isObj(b) || !isObj(b.identifier)) return b;
        notes.push({
          erratum: 'E-17',
          pointer: `${at}/basedOn/${i}/identifier`,
          title:
            "basedOn[].identifier is one Identifier (FHIR R4's Reference.identifier; the spec's schema and example use an array)",
          received: excerpt(b.identifier),
          hint: 'send the identifiers as an array, as the spec shows: [{"system": ..., "value": ...}]',
        });
        return { ...b, identifier: [b.identifier] };
      }),
    };
  }
  // E-26: the schema requires an actor (with a type) only on the Patient and ODS participants; every example has both.
  if (Array.isArray(out.participant)) {
    const kept = out.participant.filter((p, i) => {
      const actor = isObj(p) ? p.actor : undefined;
      if (isObj(actor) && typeof actor.type === 'string') return true;
      notes.push({
        erratum: 'E-26',
        pointer: `${at}/participant/${i}`,
        title: `a participant without ${isObj(actor) ? 'actor.type' : 'an actor'} (the schema requires one only for the Patient and the ODS location; every example has it)`,
        received: excerpt(p),
        hint: 'give every participant an actor with a type (Patient, Practitioner, HealthcareService or Location)',
      });
      return false;
    });
    if (kept.length !== out.participant.length) out = { ...out, participant: kept };
  }
  return out;
}

function readDocumentReference(r: Obj, at: string, notes: ReadingNote[]): Obj {
  let out = readExtensions(r, at, DOCUMENT_EXTENSIONS, notes);
  // E-10: the schema makes type a string; FHIR R4 a CodeableConcept.
  if (typeof out.type === 'string') {
    notes.push({
      erratum: 'E-10',
      pointer: `${at}/type`,
      title: "DocumentReference.type is a string (the spec's schema; FHIR R4 makes it a CodeableConcept)",
      received: excerpt(out.type),
      hint: 'send {"text": "<type>"} (a CodeableConcept, which a FHIR parser can read) or leave type out: it is optional',
    });
    out = { ...out, type: { text: out.type } };
  }
  // E-09: the schema names the link `references`; its example and FHIR R4 `reference`.
  const context = out.context;
  if (isObj(context) && Array.isArray(context.related)) {
    let changed = false;
    const related = context.related.map((rel: unknown, i) => {
      if (!isObj(rel) || rel.reference !== undefined || rel.references === undefined) return rel;
      changed = true;
      notes.push({
        erratum: 'E-09',
        pointer: `${at}/context/related/${i}/references`,
        title:
          'context.related[] links the appointment in "references" (the spec\'s schema; its example and FHIR R4 say "reference")',
        received: excerpt(rel.references),
        hint: 'send "reference" (add "references" with the same value as well if you also want the schema\'s spelling)',
      });
      const { references, ...rest } = rel;
      return { ...rest, reference: references };
    });
    if (changed) out = { ...out, context: { ...context, related } };
  }
  return out;
}

function readTask(r: Obj, at: string, notes: ReadingNote[]): Obj {
  let out = readExtensions(r, at, TASK_EXTENSIONS, notes);
  // E-08: the schema gives Task.identifier as one object; FHIR R4 as an array.
  if (isObj(out.identifier)) {
    notes.push({
      erratum: 'E-08',
      pointer: `${at}/identifier`,
      title: "Task.identifier is one object (the spec's schema; FHIR R4 makes it an array)",
      received: excerpt(out.identifier),
      hint: 'no single shape satisfies both readings; Task.identifier is optional, so leaving it out is safe under every reading, and FHIR R4 parsers need the array',
    });
    out = { ...out, identifier: [out.identifier] };
  }
  // E-06: the schema requires `authored`; its example and FHIR R4 `authoredOn`. Both, equal, is safe.
  if (out.authored !== undefined) {
    if (out.authoredOn === undefined) {
      notes.push({
        erratum: 'E-06',
        pointer: `${at}/authored`,
        title: 'the date is in "authored" (the spec\'s schema; its example and FHIR R4 say "authoredOn")',
        received: excerpt(out.authored),
        hint: 'send "authoredOn"; send "authored" too, with the same value, to satisfy the schema\'s spelling as well',
      });
      const { authored, ...rest } = out;
      out = { ...rest, authoredOn: authored };
    } else if (out.authored === out.authoredOn) {
      const { authored: _same, ...rest } = out;
      out = rest;
    }
    // Two different dates are left for the schema to report: no reading makes that consistent.
  }
  // E-07: the schema makes reasonCode.coding one object (its description says "Array of Coding"); the example and R4 an array.
  const reason = out.reasonCode;
  if (isObj(reason) && isObj(reason.coding)) {
    notes.push({
      erratum: 'E-07',
      pointer: `${at}/reasonCode/coding`,
      title:
        "reasonCode.coding is one object (the schema's type; its description, its example and FHIR R4 make it an array)",
      received: excerpt(reason.coding),
      hint: 'send "coding": [{"system": ..., "code": ..., "display": ...}] (an array)',
    });
    out = { ...out, reasonCode: { ...reason, coding: [reason.coding] } };
  }
  return out;
}

/** One Appointment, DocumentReference or Task; `at` is the resource's pointer within its document. */
export function readProducerResource(resource: unknown, at = ''): Read {
  const notes: ReadingNote[] = [];
  if (!isObj(resource)) return { value: resource, notes };
  switch (resource.resourceType) {
    case 'Appointment':
      return { value: readAppointment(resource, at, notes), notes };
    case 'DocumentReference':
      return { value: readDocumentReference(resource, at, notes), notes };
    case 'Task':
      return { value: readTask(resource, at, notes), notes };
    default:
      return { value: resource, notes };
  }
}

/** A producer searchset Bundle: every entry's resource read as above; anything else is returned as is. */
export function readProducerBundle(bundle: unknown): Read {
  if (!isObj(bundle) || !Array.isArray(bundle.entry)) return { value: bundle, notes: [] };
  const notes: ReadingNote[] = [];
  let changed = false;
  const entry = bundle.entry.map((e: unknown, i) => {
    if (!isObj(e) || e.resource === undefined) return e;
    const r = readProducerResource(e.resource, `/entry/${i}/resource`);
    notes.push(...r.notes);
    if (r.value === e.resource) return e;
    changed = true;
    return { ...e, resource: r.value };
  });
  return { value: changed ? { ...bundle, entry } : bundle, notes };
}

const R4_ISSUE_TYPES: ReadonlySet<string> = new Set(FHIR_R4_ISSUE_TYPES);

/**
 * E-13: the 4XX table lists `TOO_MANY_REQUESTS` (and the spec's OperationOutcome schema takes any
 * string) while FHIR R4 binds issue.code to IssueType: a code outside it is accepted with a warning.
 */
export function readOperationOutcome(body: unknown): Read {
  if (!isObj(body) || !Array.isArray(body.issue)) return { value: body, notes: [] };
  const notes: ReadingNote[] = [];
  body.issue.forEach((issue, i) => {
    const code = isObj(issue) ? issue.code : undefined;
    if (typeof code === 'string' && code !== '' && !R4_ISSUE_TYPES.has(code))
      notes.push({
        erratum: 'E-13',
        pointer: `/issue/${i}/code`,
        title: `issue.code "${code}" is not a FHIR R4 IssueType code (the spec's 4XX table and schema allow it)`,
        received: excerpt(code),
        hint: 'use the R4 code the 4XX table pairs with the status where there is one (processing, forbidden, exception, throttled)',
      });
  });
  return { value: body, notes };
}
