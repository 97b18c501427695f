/** Global setup of `npm run test:upstream`: no specification, no run (one message, not a failure per suite). */
import { specDir } from './spec-files';

export default function requireSpecDir(): void {
  try {
    specDir();
  } catch (e) {
    process.stderr.write(`\nnpm run test:upstream: ${(e as Error).message}\n\n`);
    process.exit(1);
  }
}
