/**
 * Correctness under load (`--verify`): every 200 a supplier sends during a run is schema-validated
 * and compared with the pack's expectation, so wrong content fails a run just as a slow P95 does.
 * A verifier is a plain function, so another comparison can be plugged in.
 */
import type { ProducerResourceType } from '../core/fhir';
import { maskNhsNumbersInText } from '../core/redact';
import type { PackPatient } from '../fixtures/pack';
import { validateProducerBundle } from '../contracts/validate';
import { comparePatientResponse, compileCompareOptions, type CompareOptions } from '../suites/eva/compare';

/** Problems with one response (empty when it is right). Problems must not carry patient data. */
export type Verifier = (
  patient: PackPatient,
  resourceType: ProducerResourceType,
  status: number,
  body: unknown,
) => string[];

/** The body of every 200 must be a searchset Bundle of the endpoint's resource type, per the contract schemas. */
export function schemaVerifier(): Verifier {
  return (_patient, resourceType, status, body) => {
    if (status !== 200) return [];
    const v = validateProducerBundle(resourceType, body);
    return v.valid ? [] : v.diagnostics.map((d) => `${resourceType} schema: ${d.pointer || '/'} ${d.message}`);
  };
}

/** The body of every 200 must hold exactly what the pack expects for that patient (the EVA comparator). */
export function expectationVerifier(opts: CompareOptions = {}): Verifier {
  const compiled = compileCompareOptions(opts);
  return (patient, resourceType, status, body) => {
    if (status !== 200) return [];
    const v = comparePatientResponse(
      { nhsNumber: patient.nhsNumber, resourceType, expected: patient.expected[resourceType], status, body },
      compiled,
    );
    return v.differences.map((d) => `${resourceType} differs from the pack: ${d.message}`);
  };
}

/** Runs each verifier and keeps every problem; NHS numbers in the text are masked whatever a verifier wrote. */
export function combineVerifiers(...verifiers: Verifier[]): Verifier {
  return (patient, resourceType, status, body) =>
    verifiers.flatMap((v) => v(patient, resourceType, status, body)).map(maskNhsNumbersInText);
}

export function defaultVerifier(): Verifier {
  return combineVerifiers(schemaVerifier(), expectationVerifier());
}
