/**
 * The local load stack (test-support/k6.ts startLoadStack) in a process of its own, for benches
 * that compare load generators: a generator sharing the servers' event loop would measure its own
 * contention with them. Prints one JSON line with the URLs and the pack file, then serves until
 * its standard input closes.
 */
import { startLoadStack } from './k6';

async function main(): Promise<void> {
  const stack = await startLoadStack();
  const slowSupplierUrl = await stack.supplier({ fault: 'slow' });
  process.stdout.write(
    `${JSON.stringify({ platformUrl: stack.platformUrl, supplierUrl: stack.supplierUrl, slowSupplierUrl, packFile: stack.packFile })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', () => {
    void stack.close().then(() => process.exit(0));
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
