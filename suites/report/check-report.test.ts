/**
 * The reports of a real check run (reference supplier with a fault, so there are failures to show):
 * report.json masks NHS numbers and holds no token; junit.xml is structurally JUnit; report.html
 * renders in headless Chromium to a page that is not blank and whose DOM carries the summary.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { listen } from '../../core/http';
import { KeyRing } from '../../core/keys';
import { buildDefaultPack } from '../../fixtures/default-pack';
import { createSupplierApp } from '../../mocks/supplier/app';
import { startNhsLogin, type NhsLoginSession } from '../access/nhs-login-session';
import { DEFAULT_PATHS, runCheck } from '../checks/run-check';
import { CATALOGUE } from '../checks/catalogue';
import type { CheckResult } from '../checks/runner';
import { type CheckReport, buildCheckReport, checkSuiteSummary } from './check-report';
import { renderConsoleSummary } from './check-console';
import { renderCheckHtml } from './check-html';
import { renderCheckJUnit } from './check-junit';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const on = new Date();
const pack = buildDefaultPack(on);
let nhsLogin: NhsLoginSession;
let report: CheckReport;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'check-report-'));
  nhsLogin = await startNhsLogin({ issuer: 'http://127.0.0.1:0/nhs-login', pack, keyRing: new KeyRing() });
  const server = await listen(
    createSupplierApp({
      pack,
      fault: 'leaks-other-patient',
      nhsLoginIssuer: nhsLogin.issuer,
      clientId: 'pca',
      clientSecret: 'report-test-secret',
    }),
  );
  try {
    ({ report } = await runCheck({
      supplierUrl: server.url,
      paths: DEFAULT_PATHS,
      access: {
        kind: 'client-credentials',
        tokenUrl: `${server.url}/oauth2/token`,
        clientId: 'pca',
        clientSecret: 'report-test-secret',
      },
      nhsLogin,
      pack,
    }));
  } finally {
    await server.close();
  }
});

afterAll(async () => {
  await nhsLogin.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('report.json', () => {
  it('summarises the run: only MUST failures fail it', () => {
    expect(report.summary.passed).toBe(false);
    expect([...report.summary.mustFailed].sort()).toEqual(['DR-03', 'DR-18', 'GA-03', 'GA-18', 'TK-03', 'TK-18']);
    expect(report.summary.total).toBe(report.checks.length);
    expect(report.summary.pass + report.summary.fail + report.summary.skip + report.summary.error).toBe(
      report.summary.total,
    );
  });

  it('carries no NHS number and no token, only masks and placeholders', () => {
    const text = JSON.stringify(report);
    for (const p of pack.patients) expect(text).not.toContain(p.nhsNumber);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
    expect(text).not.toContain('report-test-secret');
    expect(text).toMatch(/999\*{6}\d/);
    expect(text).toContain('$ACCESS_TOKEN');
    expect(text).toContain('$NHSD_ID_TOKEN');
  });

  it('gives every failure evidence and a curl command that reproduces it', () => {
    for (const c of report.checks.filter((x) => x.outcome === 'fail')) {
      expect(c.findings.length).toBeGreaterThan(0);
      expect(c.evidence.length).toBeGreaterThan(0);
      const curl = c.evidence[0]!.curl;
      expect(curl).toMatch(
        /^curl -sS -i -X GET "http:\/\/127\.0\.0\.1:\d+\/(Appointment|DocumentReference|Task)\?patient:identifier=https%3A%2F%2Ffhir\.nhs\.uk%2FId%2Fnhs-number%7C\$NHS_NUMBER"/m,
      );
      expect(curl).toContain('-H "Authorization: Bearer $ACCESS_TOKEN"');
      expect(curl).toContain('-H "NHSD-ID-Token: $NHSD_ID_TOKEN"');
      expect(curl).toMatch(/^# NHS_NUMBER: the NHS number of pack patient 999\*{6}\d/m);
    }
  });

  it('carries a requirement coverage matrix: every requirement, its checks and their verdicts', () => {
    const row = (id: string) => report.coverage.find((r) => r.id === id)!;
    expect(row('PS-PATIENT-SCOPE').status).toBe('failed');
    expect(row('PS-PATIENT-SCOPE').checks).toEqual([
      { id: 'GA-18', outcome: 'fail' },
      { id: 'DR-18', outcome: 'fail' },
      { id: 'TK-18', outcome: 'fail' },
    ]);
    expect(row('PS-CORRELATION-ID').status).toBe('verified');
    expect(row('WF-NFR-03').status).toBe('not-verified');
    expect(row('WF-NFR-18')).toMatchObject({
      status: 'not-covered',
      reason: 'front-end behaviour of the portal, not testable through the API',
    });
  });
});

describe('exit semantics', () => {
  it('a SHOULD failure is reported but does not fail the run; a MUST error does', () => {
    const base = CATALOGUE.find((c) => c.id === 'GA-05')!;
    const should = { ...base, id: 'GA-05', level: 'SHOULD' as const };
    const must = CATALOGUE.find((c) => c.id === 'GA-06')!;
    const build = (results: CheckResult[]) =>
      buildCheckReport({
        results,
        version: '0',
        generatedAt: new Date(),
        durationMs: 1,
        target: { supplierUrl: 'http://s', endpoints: {}, nhsLogin: 'http://n' },
        options: { suites: ['schema', 'rules'], includeThrottle: false },
        packName: 'p',
        roster: { withData: {}, other: () => undefined },
        curl: {},
      });
    const failed = { outcome: 'fail' as const, exchanges: [], findings: [{ title: 'x', hint: 'y' }] };
    const r1 = build([
      { check: should, verdict: failed, durationMs: 1 },
      { check: must, verdict: { outcome: 'pass', exchanges: [] }, durationMs: 1 },
    ]);
    expect(r1.summary).toMatchObject({ passed: true, mustFailed: [], shouldFailed: ['GA-05'], fail: 1 });
    const r2 = build([{ check: must, verdict: { outcome: 'error', exchanges: [], message: 'boom' }, durationMs: 1 }]);
    expect(r2.summary).toMatchObject({ passed: false, mustFailed: ['GA-06'], error: 1 });
  });
});

describe('the cross-suite index row', () => {
  it('reduces the run to a SuiteSummary the index page and merged JUnit use', () => {
    const row = checkSuiteSummary(report);
    expect(row).toMatchObject({
      key: 'check',
      verdict: 'fail',
      files: { 'report.html': 'check/report.html', 'junit.xml': 'check/junit.xml', 'report.json': 'check/report.json' },
    });
    expect(row.headline).toMatch(/^\d+ of \d+ MUST checks passed, 12 skipped$/);
    expect(row.highlights).toHaveLength(6);
    expect(row.highlights![0]).toMatch(/^GA-03 A patient with no appointments gets 200 and a Bundle with total 0: /);
  });
});

describe('console summary', () => {
  it('lists failing families first, failures before anything else, each with what to fix', () => {
    const text = renderConsoleSummary(report, { curl: false });
    const lines = text.split('\n');
    const firstFamily = lines.findIndex((l) => /^(GA|DR|TK|RS) {2}/.test(l));
    expect(lines[firstFamily]).toMatch(/^GA {2}Appointments .*2 failed/);
    expect(lines[firstFamily + 1]).toMatch(/^ {2}FAIL {2}GA-03 \[MUST\]/);
    expect(text).toContain('fix: Filter by the requested NHS number');
    expect(text).toMatch(/FAILED: 6 MUST check\(s\) failed: GA-03, GA-18, DR-03, DR-18, TK-03, TK-18\n$/);
    for (const p of pack.patients) expect(text).not.toContain(p.nhsNumber);
  });
});

/** A small structural reader for JUnit XML: well-formed tags, escapes, and the counts CI systems read. */
function parseXml(xml: string): Array<{ name: string; attrs: Record<string, string>; children: unknown[] }> {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  interface El {
    name: string;
    attrs: Record<string, string>;
    children: El[];
    text: string;
  }
  const root: El = { name: '#root', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  const body = xml.replace(/^<\?xml[^>]*\?>\n/, '');
  const token = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = token.exec(body))) {
    pos = token.lastIndex;
    if (m[5] !== undefined) {
      // Text: every & starts a known entity.
      expect(m[5]).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      stack[stack.length - 1]!.text += m[5];
      continue;
    }
    const [, close, name, rawAttrs, selfClose] = m;
    if (close) {
      const open = stack.pop()!;
      expect(open.name).toBe(name);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs!.matchAll(/([\w:-]+)="([^"]*)"/g)) {
      expect(a[2]).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
      attrs[a[1]!] = a[2]!;
    }
    const el: El = { name: name!, attrs, children: [], text: '' };
    stack[stack.length - 1]!.children.push(el);
    if (!selfClose) stack.push(el);
  }
  expect(pos).toBe(body.length);
  expect(stack).toHaveLength(1);
  return root.children as never;
}

describe('junit.xml', () => {
  it('is JUnit: one testsuites root, a testsuite per family with matching counts, a testcase per check', () => {
    const xml = renderCheckJUnit(report);
    const roots = parseXml(xml) as Array<{
      name: string;
      attrs: Record<string, string>;
      children: Array<{
        name: string;
        attrs: Record<string, string>;
        children: Array<{ name: string; attrs: Record<string, string> }>;
      }>;
    }>;
    expect(roots).toHaveLength(1);
    const suites = roots[0]!;
    expect(suites.name).toBe('testsuites');
    expect(Number(suites.attrs.tests)).toBe(report.checks.length);
    expect(Number(suites.attrs.failures)).toBe(report.summary.fail);
    expect(Number(suites.attrs.skipped)).toBe(report.summary.skip);
    let cases = 0;
    for (const s of suites.children) {
      expect(s.name).toBe('testsuite');
      const tcs = s.children.filter((c) => c.name === 'testcase');
      cases += tcs.length;
      expect(Number(s.attrs.tests)).toBe(tcs.length);
      expect(Number(s.attrs.failures)).toBe(
        tcs.filter((t) =>
          (t as unknown as { children: Array<{ name: string }> }).children.some((c) => c.name === 'failure'),
        ).length,
      );
      for (const t of tcs) {
        expect(t.attrs.name).toMatch(/^(GA|DR|TK|RS)-\d\d /);
        expect(t.attrs.classname).toMatch(/^pca-harness\.check\.(GA|DR|TK|RS)$/);
        expect(Number.isFinite(Number(t.attrs.time))).toBe(true);
      }
    }
    expect(cases).toBe(report.checks.length);
    // The failure body carries the evidence and the curl command.
    expect(xml).toMatch(/<failure message="\[MUST\] [^"]+" type="MUST">GA-03 \[MUST\]/);
    expect(xml).toContain('curl -sS -i -X GET');
    for (const p of pack.patients) expect(xml).not.toContain(p.nhsNumber);
  });
});

// ---- PNG, just enough to count the pixels that are not background --------------------------

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
  it('is self-contained: no script, no external stylesheet, image or font', () => {
    const html = renderCheckHtml(report);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/[^"]+\.(css|js|png|svg|woff2?)"/i);
    expect(html).toContain('<svg');
    for (const p of pack.patients) expect(html).not.toContain(p.nhsNumber);
  });

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
    expect(dom).toContain(`${report.summary.pass} passed, ${report.summary.fail} failed`);
    expect(dom).toMatch(/id="check-GA-18"/);
    expect(dom).toMatch(/id="req-WF-NFR-17"/);
    expect(dom).toContain('<details>');
  }, 90_000);
});
