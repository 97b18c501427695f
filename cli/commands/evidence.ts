/** `pca-harness evidence`: packs a report directory into the archive handed over at assurance. */
import { Option } from 'commander';
import { loadPack } from '../../fixtures/default-pack';
import { createEvidenceBundle, EvidenceError } from '../../suites/evidence/evidence';
import { addConfigOption, type CommandModule, ExitCode, loadCliConfig, UsageError } from '../common';
import { version } from '../../core/version';

const evidenceCommand: CommandModule = {
  register(program, io, setExit) {
    addConfigOption(
      program
        .command('evidence')
        .description(
          'pack the reports, the fixture pack, harness and spec versions and the configuration (secrets removed) into one archive with a SHA-256 manifest',
        )
        .addOption(new Option('--report-dir <dir>', 'the reports to pack').default('pca-harness-report'))
        .addOption(new Option('--out <file>', 'archive to write').default('pca-harness-evidence.tar.gz'))
        .addOption(new Option('--pack <file>', 'the fixture pack the run used (default: the embedded pack)')),
    )
      .addHelpText(
        'after',
        '\nExample:\n  pca-harness demo --report-dir out && pca-harness evidence --report-dir out --out evidence.tar.gz\n  tar xzf evidence.tar.gz && (cd evidence && sha256sum -c MANIFEST.sha256)\n',
      )
      .action(async (opts: { reportDir: string; out: string; pack?: string; config?: string }) => {
        const { config } = loadCliConfig(io, opts);
        const pack = loadPack(opts.pack ?? config.pack, new Date());
        try {
          const { archive, manifest } = await createEvidenceBundle({
            reportDir: opts.reportDir,
            out: opts.out,
            config,
            pack,
            harnessVersion: version(),
          });
          io.out(
            `wrote ${archive}\n  ${manifest.files.length} files, pack "${manifest.pack.name}" (${manifest.pack.patients} patients), harness ${manifest.harnessVersion}\n  verify: tar xzf ${opts.out} && (cd evidence && sha256sum -c MANIFEST.sha256)`,
          );
          setExit(ExitCode.ok);
        } catch (e) {
          if (e instanceof EvidenceError) throw new UsageError(e.message);
          throw e;
        }
      });
  },
};

export default evidenceCommand;
