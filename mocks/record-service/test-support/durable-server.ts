/**
 * A Record Service in its own process, for the kill-and-restart test: `node -r tsx/cjs
 * durable-server.ts <sqlite file>` prints `{"url": ...}` once it listens.
 */
import { KeyRing } from '../../../core/keys';
import { listen } from '../../../core/http';
import { DEFAULT_SYNTHETIC_RANGES } from '../../../core/nhs-number';
import { createRecordServiceApp } from '../app';
import { openRegistrationStore } from '../store';

export const DURABLE_API_KEY = 'key-durability-test-01';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: durable-server.ts <sqlite file>');
  const store = openRegistrationStore(file);
  const app = createRecordServiceApp({
    clients: [{ clientId: 'pep-01', apiKey: DURABLE_API_KEY, resourceType: 'Appointment' }],
    mode: 'strict',
    profile: 'prod',
    syntheticRanges: DEFAULT_SYNTHETIC_RANGES,
    tokenUrl: () => 'http://127.0.0.1/oauth2/token',
    keyRing: new KeyRing(),
    store,
  });
  const server = await listen(app);
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
