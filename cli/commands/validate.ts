/**
 * `pca-harness validate --kind KIND FILE...`: checks saved payloads (a response body, a request you
 * are about to send) against the contract schemas, one verdict per file.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { Option } from 'commander';
import {
  type FileVerdict,
  SCHEMA_KINDS,
  SCHEMA_KIND_NAMES,
  type SchemaKind,
  validateFile,
} from '../../contracts/validate';
import { type CliIo, type CommandModule, ExitCode, UsageError } from '../common';

interface ValidateOptions {
  kind: SchemaKind;
  json?: boolean;
}

/** Every file must be readable before any is judged: a typo in a path is a usage error, not a failed payload. */
function checkReadable(files: string[], cwd: string): string[] {
  const problems: string[] = [];
  const resolved = files.map((f) => path.resolve(cwd, f));
  resolved.forEach((abs, i) => {
    try {
      if (statSync(abs).isDirectory()) problems.push(`"${files[i]}" is a directory; name the JSON files in it`);
    } catch {
      problems.push(`cannot read "${files[i]}": no such file`);
    }
  });
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return resolved;
}

function renderText(verdicts: FileVerdict[], kind: SchemaKind, io: CliIo): void {
  for (const v of verdicts) {
    io.out(`${v.valid ? (v.warnings ? 'WARN' : 'PASS') : 'FAIL'} ${v.file}`);
    for (const d of v.diagnostics) {
      io.out(`  ${d.pointer || '/'}: ${d.message} [${d.rule}]`);
      if (d.hint) io.out(`      hint: ${d.hint}`);
    }
    // Valid, but under a reading of a contradicting spec other than the harness's (docs/spec-errata.md).
    for (const w of v.warnings ?? []) {
      io.out(`  ${w.pointer || '/'}: ${w.title} [${w.erratum}]`);
      io.out(`      safe under every reading: ${w.hint}`);
    }
  }
  const failed = verdicts.filter((v) => !v.valid).length;
  io.out(`${verdicts.length - failed} of ${verdicts.length} file(s) valid as ${kind} (${SCHEMA_KINDS[kind].source})`);
}

const kindList = SCHEMA_KIND_NAMES.map((k) => `  ${k.padEnd(18)} ${SCHEMA_KINDS[k].title}`).join('\n');

const validateCommand: CommandModule = {
  register(program, io, setExit) {
    program
      .command('validate')
      .description('validate JSON payloads against the PCA contract schemas, one verdict per file')
      .addOption(
        new Option('--kind <kind>', 'which payload the files hold').choices(SCHEMA_KIND_NAMES).makeOptionMandatory(),
      )
      .option('--json', 'print the verdicts as JSON (for CI)', false)
      .argument('<files...>', 'JSON files to validate')
      .addHelpText(
        'after',
        `
Kinds:
${kindList}

Each failure names the JSON pointer of the offending value, the rule broken and, where the spec is
ambiguous, how we decided (docs/spec-errata.md). Where the spec contradicts itself every reading it
supports is valid; a file that took another reading than the harness's is WARN (valid), with the
erratum and what is safe under every reading. Exit 0 all valid (warnings included), 1 any invalid,
2 usage error.

Examples:
  pca-harness validate --kind appointments response.json
  pca-harness validate --kind records-request batch-*.json --json
  curl -s ... > out.json && pca-harness validate --kind documents out.json`,
      )
      .action((files: string[], opts: ValidateOptions) => {
        const resolved = checkReadable(files, io.cwd);
        const verdicts = resolved.map((abs, i) => ({ ...validateFile(opts.kind, abs), file: files[i] }));
        if (opts.json) {
          io.out(
            JSON.stringify(
              {
                kind: opts.kind,
                source: SCHEMA_KINDS[opts.kind].source,
                valid: verdicts.every((v) => v.valid),
                files: verdicts,
              },
              null,
              2,
            ),
          );
        } else {
          renderText(verdicts, opts.kind, io);
        }
        setExit(verdicts.every((v) => v.valid) ? ExitCode.ok : ExitCode.checkFailed);
      });
  },
};

export default validateCommand;
