/**
 * The contract between a supplier's Record Service client (consumer) and the PCA Record Service
 * (provider): `POST /records` accepted, refused for invalid NHS numbers, refused for an unknown API
 * key. The mock Record Service is verified against it, so the mock provably answers as the contract
 * suppliers test their clients against.
 */
import { MatchersV3 as M, type V3Request, type V3Response } from '@pact-foundation/pact';
import {
  EXAMPLE_API_KEY,
  EXAMPLE_CLIENT_ID,
  EXAMPLE_NHS_NUMBER,
  NHS_NUMBER_PATTERN,
  fromStateMatching,
  headerMatchers,
} from './contract';

export const RECORD_SERVICE_STATES = {
  registered: 'a client registered with an API key',
  unknownKey: 'no client holds the API key',
} as const;
export type RecordServiceState = (typeof RECORD_SERVICE_STATES)[keyof typeof RECORD_SERVICE_STATES];

export type RecordInteractionKey = 'accepted' | 'invalid-nhs-numbers' | 'unknown-api-key';

export interface RecordServiceInteraction {
  key: RecordInteractionKey;
  description: string;
  state: RecordServiceState;
  request: V3Request;
  response: V3Response;
}

/** The specification's own example of what is refused: not ten digits, and a leading zero. */
export const INVALID_NHS_NUMBERS = ['abc', '0123456789'];

const CREDENTIAL = '^Bearer \\S+$';

/** The state supplies the API key and the clientId it belongs to (they must match, or it is a 400). */
const registeredHeaders = {
  Authorization: fromStateMatching(CREDENTIAL, 'Bearer ${apiKey}', `Bearer ${EXAMPLE_API_KEY}`),
  'Content-Type': headerMatchers.json(),
};
const registeredClientId = fromStateMatching('^\\S+$', '${clientId}', EXAMPLE_CLIENT_ID);

const jsonResponseHeaders = { 'Content-Type': headerMatchers.json() };

export const RECORD_SERVICE_INTERACTIONS: readonly RecordServiceInteraction[] = [
  {
    key: 'accepted',
    description: 'a batch of valid NHS numbers from a registered client',
    state: RECORD_SERVICE_STATES.registered,
    request: {
      method: 'POST',
      path: '/records',
      headers: registeredHeaders,
      body: {
        clientId: registeredClientId,
        nhsNumbers: M.eachLike(M.regex(NHS_NUMBER_PATTERN, EXAMPLE_NHS_NUMBER), 1),
      },
    },
    response: { status: 200, headers: jsonResponseHeaders, body: { result: 'success' } },
  },
  {
    key: 'invalid-nhs-numbers',
    description: 'a batch with invalid NHS numbers',
    state: RECORD_SERVICE_STATES.registered,
    request: {
      method: 'POST',
      path: '/records',
      headers: registeredHeaders,
      body: { clientId: registeredClientId, nhsNumbers: INVALID_NHS_NUMBERS },
    },
    response: {
      status: 400,
      headers: jsonResponseHeaders,
      body: {
        code: 'error.bad-request',
        data: M.string('"nhsNumbers[0]" with value "abc" fails to match the required pattern: /^[1-9][0-9]{9}$/'),
      },
    },
  },
  {
    key: 'unknown-api-key',
    description: 'a batch sent with an API key the Record Service does not know',
    state: RECORD_SERVICE_STATES.unknownKey,
    request: {
      method: 'POST',
      path: '/records',
      headers: { Authorization: M.regex(CREDENTIAL, 'Bearer unknown-api-key'), 'Content-Type': headerMatchers.json() },
      body: {
        clientId: M.string(EXAMPLE_CLIENT_ID),
        nhsNumbers: M.eachLike(M.regex(NHS_NUMBER_PATTERN, EXAMPLE_NHS_NUMBER), 1),
      },
    },
    response: {
      status: 401,
      headers: jsonResponseHeaders,
      body: { code: 'error.unauthorized', data: M.string('Unauthorized') },
    },
  },
];
