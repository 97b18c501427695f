/**
 * The Record Service `POST /records` bodies, from patient-care-aggregator-api-record-service-api.yaml
 * (the request and response schemas are inline under paths./records.post).
 */
import { type JsonSchema, nhsNumber, str } from './common';

/** Per call in production; the INT limit of 200 is a profile rule, not a schema rule. */
export const RECORDS_MAX_BATCH = 5000;

/**
 * E-18: closed. The service's error text (`"nhsNumbers[1]" with value "abc" fails to match the
 * required pattern`) is Joi's, and Joi refuses unknown keys and empty strings by default.
 */
export const recordsRequestSchema: JsonSchema = {
  title: 'Record Service request',
  type: 'object',
  required: ['clientId', 'nhsNumbers'],
  additionalProperties: false,
  'x-hint': 'the body carries only clientId and nhsNumbers; one call covers one resource type, chosen by the clientId',
  properties: {
    clientId: { ...str, 'x-hint': 'the clientId issued to you for this resource type, e.g. "pep-01"' },
    nhsNumbers: {
      type: 'array',
      minItems: 1,
      maxItems: RECORDS_MAX_BATCH,
      'x-hint': `send between 1 and ${RECORDS_MAX_BATCH} NHS numbers per call (200 outside production)`,
      items: nhsNumber,
    },
  },
};

export const recordsSuccessSchema: JsonSchema = {
  title: 'Record Service success response',
  type: 'object',
  required: ['result'],
  properties: { result: { type: 'string', const: 'success' } },
};

/** E-18: the spec requires nothing; an error body without both parts tells its reader nothing. */
export const recordsErrorSchema: JsonSchema = {
  title: 'Record Service error response',
  type: 'object',
  required: ['code', 'data'],
  properties: {
    code: { type: 'string', enum: ['error.bad-request', 'error.unauthorized'] },
    data: str,
  },
};
