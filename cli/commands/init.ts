/**
 * `pca-harness init`: writes a commented starter config for a supplier's own system and says what
 * to run next. The file is JSON with comments (like tsconfig.json), read by core/config.ts.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option } from 'commander';
import { CONFIG_FILE_NAME, loadConfig } from '../../core/config';
import { type CommandModule, ExitCode, UsageError } from '../common';

export interface StarterOptions {
  supplierUrl: string;
  clientId: string;
  resourceType: 'Appointment' | 'DocumentReference' | 'Task';
  profile: 'int' | 'prod';
}

export function starterConfig(o: StarterOptions): string {
  const url = o.supplierUrl.replace(/\/$/, '');
  return `{
  // pca-harness configuration. Every value can be overridden by an environment variable
  // (PCA_HARNESS_<SECTION>_<KEY>, e.g. PCA_HARNESS_PLATFORM_PORT=8070) or a command-line flag.

  // Where the platform keeps its SQLite state and signing keys (JWKS stay stable across restarts).
  "stateDir": ".pca-harness",
  "logLevel": "info",
  // Your own fixture pack; leave empty for the embedded default pack ("pca-harness fixtures default --out pack.json" to import it).
  "pack": "",

  "platform": {
    "host": "127.0.0.1",
    "port": 7070,
    // "strict" answers 4xx with the reason a /records call registered nothing; "int" answers 200 as INT does
    // and puts the reason in the X-PCA-Harness-Warning header and in "pca-harness explain".
    "mode": "strict",
    // Record Service batch limit: "int" = 200 NHS numbers per call, "prod" = 5,000.
    "profile": "${o.profile}",
    // Pull rate of the aggregator's scheduler, in requests per second.
    "pullRate": 25,
    "clients": [
      {
        // The clientId you send in POST /records bodies.
        "clientId": "${o.clientId}",
        // The bearer your Record Service client presents (Authorization: Bearer <apiKey>).
        "apiKey": "change-me-local-api-key",
        // Which Record Service this client feeds: Appointment, DocumentReference or Task.
        "resourceType": "${o.resourceType}",
        // Where the aggregator pulls from once your patients are registered.
        "endpoint": {
          "url": "${url}",
          "path": "/${o.resourceType}",
          // How the aggregator authenticates to you: OAuth 2.0 client credentials (WF-NFR-14)...
          "auth": { "type": "client_credentials", "tokenUrl": "${url}/oauth2/token", "clientId": "pca-aggregator", "clientSecret": "change-me-client-secret" }
          // ...or, for early testing, a static bearer: { "type": "static", "token": "..." }
        },
        // As INT does: pulls start only after "pca-harness check" has passed your contract checks.
        "requireContractPass": false
      }
    ]
  },

  // The reference supplier ("pca-harness supplier"), used by "demo" and as a worked example.
  "supplier": {
    "port": 7171,
    // The NHS login issuer your API trusts; the platform's NHS login mock is at {platform}/nhs-login.
    "nhsLoginIssuer": "http://127.0.0.1:7070/nhs-login"
  }
}
`;
}

const initCommand: CommandModule = {
  register(program, io, setExit) {
    program
      .command('init')
      .description('write a commented starter pca-harness.config.json for your own system, then print what to run next')
      .addOption(
        new Option('--supplier-url <url>', 'base URL of your Get Appointments API').default('http://127.0.0.1:8080'),
      )
      .addOption(new Option('--client-id <id>', 'your Record Service clientId').default('my-portal'))
      .addOption(
        new Option('--resource-type <type>', 'what your API serves')
          .choices(['Appointment', 'DocumentReference', 'Task'])
          .default('Appointment'),
      )
      .addOption(
        new Option('--profile <profile>', 'Record Service limits to emulate').choices(['int', 'prod']).default('int'),
      )
      .addOption(new Option('--out <file>', 'where to write the config').default(CONFIG_FILE_NAME))
      .option('--force', 'overwrite an existing file', false)
      .addHelpText(
        'after',
        '\nExample:\n  pca-harness init --supplier-url https://portal.test.example:8443 --client-id acme-portal\n',
      )
      .action(
        (opts: {
          supplierUrl: string;
          clientId: string;
          resourceType: StarterOptions['resourceType'];
          profile: 'int' | 'prod';
          out: string;
          force: boolean;
        }) => {
          if (!/^https?:\/\//.test(opts.supplierUrl))
            throw new UsageError(`--supplier-url must be an http(s) URL, got "${opts.supplierUrl}"`);
          const target = path.resolve(io.cwd, opts.out);
          if (existsSync(target) && !opts.force) throw new UsageError(`${target} exists; use --force to overwrite it`);
          writeFileSync(target, starterConfig(opts));
          // Prove the starter is valid before telling anyone to use it.
          loadConfig({ file: target, cwd: io.cwd, env: {} });
          const cfgFlag = opts.out === CONFIG_FILE_NAME ? '' : ` --config ${opts.out}`;
          io.out(`wrote ${target}

Next:
  1. Edit the apiKey, clientSecret and URLs in ${opts.out}.
  2. Start the mock platform:                 pca-harness serve${cfgFlag}
  3. Point your API at the NHS login issuer:  http://127.0.0.1:7070/nhs-login
  4. Run the conformance checks:              pca-harness check --supplier ${opts.supplierUrl} --token-url ${opts.supplierUrl.replace(/\/$/, '')}/oauth2/token --client-id pca-aggregator --client-secret <secret>
  5. Send your patients to the Record Service (POST http://127.0.0.1:7070/records), then:
                                              pca-harness explain --client-id ${opts.clientId}
  6. Expected versus actual, end to end:      pca-harness replay --supplier ${opts.supplierUrl}
`);
          setExit(ExitCode.ok);
        },
      );
  },
};

export default initCommand;
