/**
 * The versions of the official specifications this harness's schemas and checks were written
 * from. Reports and evidence bundles carry them, so an assurance reviewer knows what was checked.
 */
export const SPEC_VERSIONS = {
  'producer-api-standards': '3.12.0',
  'record-service-api': '1.0.2',
  'consumer-api': 'v3.11.0',
} as const;
