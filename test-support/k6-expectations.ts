/**
 * What `npm run test:k6` expects of each k6 script in load/k6/: the profile it runs and the
 * environment it needs against the local stack. Every script must have an entry: a script without
 * one fails `npm test` (load/k6-scripts.test.ts) and `npm run test:k6`, so none is silently skipped.
 * Each must exit 0 against the reference supplier; test/k6/k6-scripts.k6.ts adds the behaviours
 * particular to a script (throttle, records, fault).
 */
import type { LoadStack } from './k6';
import { STACK_RECORDS_CLIENT } from './k6';

export interface K6ScriptExpectation {
  /** The profile the script runs: its handleSummary files are `<profile>-summary.json` and `<profile>-junit.xml`. */
  profile: string;
  /** The run's length (the script's DURATION); a ramp is squeezed to fit. A few seconds keeps test:k6 short. */
  duration: string;
  /** The environment the script needs against the stack, besides PACK and DURATION. */
  env(stack: Pick<LoadStack, 'platformUrl' | 'supplierUrl'>): Record<string, string>;
}

export const K6_SCRIPT_EXPECTATIONS: Readonly<Record<string, K6ScriptExpectation>> = {
  'aggregator-p95-at-25tps': {
    profile: 'aggregator',
    duration: '3s',
    env: (s) => ({ PLATFORM_URL: s.platformUrl }),
  },
  'aggregator-waiting-times': {
    profile: 'aggregator-waiting-times',
    duration: '3s',
    env: (s) => ({ PLATFORM_URL: s.platformUrl }),
  },
  'records-bulk-upload': {
    profile: 'records-bulk',
    duration: '3s',
    env: (s) => ({
      PLATFORM_URL: s.platformUrl,
      RECORDS_CLIENT_ID: STACK_RECORDS_CLIENT.clientId,
      RECORDS_API_KEY: STACK_RECORDS_CLIENT.apiKey,
    }),
  },
  'supplier-p95-at-25tps': {
    profile: 'supplier-standard',
    duration: '3s',
    env: (s) => ({ PLATFORM_URL: s.platformUrl, SUPPLIER_URL: s.supplierUrl }),
  },
  'throttle-429-above-60tps': {
    profile: 'throttle',
    duration: '8s',
    env: (s) => ({ PLATFORM_URL: s.platformUrl, SUPPLIER_URL: s.supplierUrl }),
  },
};
