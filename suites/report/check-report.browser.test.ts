/**
 * report.html rendered by a real headless Chromium: a screenshot that is not blank, and the DOM with
 * the summary, failures and coverage. Chromium is a system package, not an npm one, so this is not part
 * of the hermetic `npm test`: `npm run test:browser` runs it (CI installs Chromium first, in .ci/run).
 * CHROMIUM_BIN points at another Chromium.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { faultedCheckReport } from '../../test-support/check-report-fixture';
import type { CheckReport } from './check-report';
import { renderCheckHtml } from './check-html';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
let report: CheckReport;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'check-report-browser-'));
  ({ report } = await faultedCheckReport());
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function decodePng(buf: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('ascii', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      channels = ({ 2: 3, 6: 4 } as Record<number, number>)[data[9]!]!;
      expect(channels).toBeDefined();
      expect(data[12]).toBe(0);
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      let v: number;
      switch (filter) {
        case 0:
          v = cur;
          break;
        case 1:
          v = cur + a;
          break;
        case 2:
          v = cur + b;
          break;
        case 3:
          v = cur + ((a + b) >> 1);
          break;
        default: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = cur + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
      }
      out[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

function runChromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
      err ? reject(Object.assign(err as Error, { stderr })) : resolve({ stdout, stderr }),
    );
  });
}

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('report.html in headless Chromium', () => {
  it('renders to a page that is not empty, with the summary, failures and coverage in the DOM', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_BIN; this test renders report.html`,
      );
    }
    const file = path.join(tmp, 'report.html');
    writeFileSync(file, renderCheckHtml(report));
    const png = path.join(tmp, 'report.png');
    const url = `file://${file}`;
    await runChromium([
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${path.join(tmp, 'profile-shot')}`,
      `--screenshot=${png}`,
      '--window-size=1280,2000',
      url,
    ]);
    const img = decodePng(readFileSync(png));
    expect([img.width, img.height]).toEqual([1280, 2000]);
    // The header band and the text: a blank page would be one colour.
    let inked = 0;
    const bg = [
      img.pixels[img.pixels.length - img.channels]!,
      img.pixels[img.pixels.length - img.channels + 1]!,
      img.pixels[img.pixels.length - img.channels + 2]!,
    ];
    const colours = new Set<number>();
    for (let i = 0; i < img.pixels.length; i += img.channels) {
      const [r, g, b] = [img.pixels[i]!, img.pixels[i + 1]!, img.pixels[i + 2]!];
      if (Math.abs(r - bg[0]!) + Math.abs(g - bg[1]!) + Math.abs(b - bg[2]!) > 30) inked++;
      if (colours.size < 64) colours.add((r << 16) | (g << 8) | b);
    }
    expect(inked / (img.width * img.height)).toBeGreaterThan(0.05);
    expect(colours.size).toBeGreaterThan(8);
    // NHS blue header at the top left.
    expect([img.pixels[0], img.pixels[1], img.pixels[2]]).toEqual([0x00, 0x5e, 0xb8]);

    const { stdout: dom } = await runChromium([
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${path.join(tmp, 'profile-dom')}`,
      '--dump-dom',
      url,
    ]);
    expect(dom).toContain('pca-harness check: FAILED');
    expect(dom).toContain(
      `${report.summary.pass} passed, ${report.summary.warn} passed with warnings, ${report.summary.fail} failed`,
    );
    expect(dom).toMatch(/id="check-GA-18"/);
    expect(dom).toMatch(/id="req-producer:WF-NFR-17"/);
    expect(dom).toContain('<details>');
  }, 90_000);
});
