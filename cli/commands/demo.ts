/** `pca-harness demo`: the main job, on the embedded defaults. */
import { Option } from 'commander';
import { loadPack } from '../../fixtures/default-pack';
import { FAULT_NAMES, isFaultName } from '../../mocks/supplier/faults';
import { DEMO_STEPS, type DemoStep, runDemo } from '../demo';
import { addConfigOption, type CommandModule, loadCliConfig, parseDuration, UsageError } from '../common';

const demoCommand: CommandModule = {
  register(program, io, setExit, runCli) {
    addConfigOption(
      program
        .command('demo')
        .description(
          'run everything against the reference supplier: platform, upload, check, replay (EVA), Pact verification and a short load run, with one index of the reports',
        )
        .addOption(
          new Option(
            '--fault <name>',
            `break the reference supplier in one way to see a failing run (${FAULT_NAMES.length} faults: pca-harness supplier --list-faults)`,
          ),
        )
        .addOption(
          new Option(
            '--report-dir <dir>',
            'where the reports go (one sub-directory per suite, index.html at the top)',
          ).default('pca-harness-report'),
        )
        .addOption(
          new Option('--state-dir <dir>', 'keep the platform state here (default: a fresh temporary directory)'),
        )
        .addOption(new Option('--load-duration <d>', 'length of the load step').default('10s'))
        .addOption(new Option('--skip <steps>', `comma-separated steps to leave out: ${DEMO_STEPS.join(', ')}`))
        .addOption(new Option('--pack <file>', 'fixture pack (default: the embedded default pack)')),
    )
      .addHelpText(
        'after',
        '\nExamples:\n  pca-harness demo\n  pca-harness demo --fault drops-cancelled --report-dir out/failing\n  pca-harness demo --skip load,verify\n\nExit codes: 0 every suite passed, 1 a suite failed, 2 usage or configuration error.\n',
      )
      .action(
        async (opts: {
          fault?: string;
          reportDir: string;
          stateDir?: string;
          loadDuration: string;
          skip?: string;
          pack?: string;
          config?: string;
        }) => {
          if (opts.fault !== undefined && !isFaultName(opts.fault))
            throw new UsageError(`unknown fault "${opts.fault}"; choose one of: ${FAULT_NAMES.join(', ')}`);
          parseDuration(opts.loadDuration);
          const skip = (opts.skip ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          for (const s of skip)
            if (!(DEMO_STEPS as readonly string[]).includes(s))
              throw new UsageError(`--skip: unknown step "${s}"; steps are ${DEMO_STEPS.join(', ')}`);
          const { config } = loadCliConfig(io, opts);
          const pack = loadPack(opts.pack ?? config.pack, new Date());
          const result = await runDemo(
            {
              config,
              pack,
              reportDir: opts.reportDir,
              fault: opts.fault as never,
              stateDir: opts.stateDir,
              loadDuration: opts.loadDuration,
              skip: skip as DemoStep[],
            },
            io,
            runCli,
          );
          setExit(result.exitCode as 0 | 1);
        },
      );
  },
};

export default demoCommand;
