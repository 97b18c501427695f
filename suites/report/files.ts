import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Writes report files into `dir` (created if needed) atomically; returns their absolute paths. */
export async function writeReportFiles(dir: string, files: Record<string, string>): Promise<Record<string, string>> {
  const abs = path.resolve(dir);
  await fs.mkdir(abs, { recursive: true });
  const written: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(abs, name);
    await fs.mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.tmp`;
    await fs.writeFile(tmp, content);
    await fs.rename(tmp, target);
    written[name] = target;
  }
  return written;
}
