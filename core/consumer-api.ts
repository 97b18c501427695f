/**
 * What a caller of the consumer API (`GET /aggregator/events`) sends besides the patient's ID token:
 * the API platform's bearer. The mock accepts any non-empty token unless
 * `platform.aggregator.consumerTokens` lists some, so the harness's own callers (replay, the load
 * runner, the k6 scripts, the examples) send this one by default. Pure, so k6 scripts can import it.
 */
export const DEFAULT_CONSUMER_BEARER = 'pca-harness-nhs-app';

/** The token a harness caller sends: the one configured first, else the default. */
export function consumerBearer(configured?: readonly string[]): string {
  return configured?.[0] ?? DEFAULT_CONSUMER_BEARER;
}
