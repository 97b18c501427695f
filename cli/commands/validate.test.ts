import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validBases } from '../../contracts/test-helpers';
import { runCli } from '../../test-support/cli';

let dir: string;
const cli = (args: string[]) => runCli(args, { cwd: dir, env: { PCA_HARNESS_LOG_LEVEL: 'silent' } });
const bases = validBases();

function write(name: string, content: unknown): string {
  writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pca-validate-cli-'));
  write('tasks-ok.json', bases.tasks);
  write(
    'tasks-authored.json',
    (() => {
      const t = structuredClone(bases.tasks) as { entry: Array<{ resource: Record<string, unknown> }> };
      const r = t.entry[0].resource;
      r.authored = r.authoredOn;
      delete r.authoredOn;
      r.status = 'draft';
      return t;
    })(),
  );
  write('request-ok.json', bases['records-request']);
  write('request-bad.json', { clientId: 'pep-01', nhsNumbers: ['9000000009', 'abc', '9000000018'] });
  write('broken.json', '{\n  "clientId": "pep-01",\n  "nhsNumbers": [\n');
  mkdirSync(path.join(dir, 'a-directory'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pca-harness validate', () => {
  it('prints PASS per valid file and exits 0', async () => {
    const r = await cli(['validate', '--kind', 'records-request', 'request-ok.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'PASS request-ok.json\n1 of 1 file(s) valid as records-request (patient-care-aggregator-api-record-service-api.yaml #/paths/~1records/post/requestBody/content/application~1json/schema)\n',
    );
    expect(r.stderr).toBe('');
  });

  it("prints FAIL with each error's pointer, message, rule and hint, and exits 1", async () => {
    const r = await cli(['validate', '--kind', 'tasks', 'tasks-ok.json', 'tasks-authored.json']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('PASS tasks-ok.json');
    expect(lines[1]).toBe('FAIL tasks-authored.json');
    // "authored" is the schema's reading (E-06): a warning, not a failure; the status is the failure.
    expect(r.stdout).toContain('  /entry/0/resource/authored: the date is in "authored"');
    expect(r.stdout).toContain('[E-06]\n      safe under every reading: send "authoredOn"');
    expect(r.stdout).toContain(
      '  /entry/0/resource/status: must be one of "requested", "cancelled", "in-progress", "completed" [enum]\n',
    );
    expect(r.stdout).toContain('1 of 2 file(s) valid as tasks');
  });

  it('prints WARN for a file valid under another reading of a contradicting spec, and exits 0', async () => {
    const t = structuredClone(bases.tasks) as { entry: Array<{ resource: Record<string, unknown> }> };
    t.entry[0].resource.authored = t.entry[0].resource.authoredOn;
    delete t.entry[0].resource.authoredOn;
    write('tasks-schema-shape.json', t);
    const r = await cli(['validate', '--kind', 'tasks', 'tasks-schema-shape.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^WARN tasks-schema-shape.json\n {2}\/entry\/0\/resource\/authored: .*\[E-06\]\n/);
    expect(r.stdout).toContain('1 of 1 file(s) valid as tasks');
  });

  it('reports the spec\'s "nhsNumbers[1]" with value "abc" case at /nhsNumbers/1, and a bad check digit without the number', async () => {
    const r = await cli(['validate', '--kind', 'records-request', 'request-bad.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  /nhsNumbers/1: must match the pattern ^[1-9][0-9]{9}$ [pattern]\n');
    expect(r.stdout).toContain(
      '  /nhsNumbers/2: is not a valid NHS number: the Modulus 11 check digit is wrong (expected 7, got 8) [format]\n',
    );
    expect(r.stdout).not.toContain('9000000018');
  });

  it('--json prints machine-readable verdicts with the same exit code', async () => {
    const r = await cli(['validate', '--kind', 'records-request', '--json', 'request-ok.json', 'request-bad.json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      kind: string;
      valid: boolean;
      files: Array<{ file: string; valid: boolean; diagnostics: Array<{ pointer: string; rule: string }> }>;
    };
    expect(out.kind).toBe('records-request');
    expect(out.valid).toBe(false);
    expect(out.files.map((f) => [f.file, f.valid])).toEqual([
      ['request-ok.json', true],
      ['request-bad.json', false],
    ]);
    expect(out.files[1].diagnostics.map((d) => `${d.pointer} ${d.rule}`)).toEqual([
      '/nhsNumbers/1 pattern',
      '/nhsNumbers/2 format',
    ]);
  });

  it('reports malformed JSON as FAIL with line and column, exit 1', async () => {
    const r = await cli(['validate', '--kind', 'records-request', 'broken.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'FAIL broken.json\n  /: not valid JSON at line 4, column 1: unexpected end of input: a value is missing [json]\n',
    );
    const j = await cli(['validate', '--kind', 'records-request', '--json', 'broken.json']);
    expect(JSON.parse(j.stdout).files[0].parseError).toMatchObject({ line: 4, column: 1 });
  });

  it('a missing file is a usage error (exit 2) naming every missing file, and nothing is validated', async () => {
    const r = await cli(['validate', '--kind', 'tasks', 'tasks-ok.json', 'nope.json', 'a-directory']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('cannot read "nope.json": no such file');
    expect(r.stderr).toContain('"a-directory" is a directory');
  });

  it('an unknown kind is a usage error (exit 2) listing the kinds', async () => {
    const r = await cli(['validate', '--kind', 'appointment', 'tasks-ok.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/argument 'appointment' is invalid/);
    expect(r.stderr).toContain(
      'appointments, documents, tasks, operation-outcome, records-request, records-success, records-error, aggregator-bundle',
    );
  });

  it('no --kind or no file is a usage error (exit 2)', async () => {
    expect((await cli(['validate', 'tasks-ok.json'])).code).toBe(2);
    expect((await cli(['validate', '--kind', 'tasks'])).code).toBe(2);
  });

  it('--help lists the kinds and examples', async () => {
    const r = await cli(['validate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('records-request    Record Service POST /records request body');
    expect(r.stdout).toContain('pca-harness validate --kind appointments response.json');
  });
});
