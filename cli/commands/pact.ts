/**
 * `pca-harness pact`: the shipped Pact contracts. `pact publish` puts them on a Pact Broker or
 * PactFlow through its HTTP API (no pact-broker CLI needed), so a supplier's pipeline can verify
 * against them there and publish results with `pca-harness verify --publish`. `pact list` prints
 * where they are.
 */
import path from 'node:path';
import { BrokerConfigError, BrokerError, brokerFromEnv, publishPact } from '../../contracts/pact/broker';
import { RECORD_SERVICE_PACT_FILE, shippedPact, SUPPLIER_PACT_FILE } from '../../contracts/pact/contract';
import { PactFileError, readPact } from '../../contracts/pact/pact-file';
import { version } from '../../core/version';
import { type CommandModule, ExitCode, UsageError } from '../common';

interface PublishOptions {
  pact?: string[];
  consumerVersion?: string;
  branch?: string;
  tag?: string[];
  brokerUrl?: string;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const pactCommand: CommandModule = {
  register(program, io, setExit) {
    const pact = program
      .command('pact')
      .description('the shipped Pact contracts: list them, publish them to a Pact Broker or PactFlow');

    pact
      .command('list')
      .description('print the shipped pact files and their interactions')
      .action(() => {
        const lines: string[] = [];
        for (const file of [shippedPact(SUPPLIER_PACT_FILE), shippedPact(RECORD_SERVICE_PACT_FILE)]) {
          const doc = readPact(file);
          lines.push(`${doc.consumer.name} -> ${doc.provider.name}  ${file}`);
          for (const i of doc.interactions)
            lines.push(
              `  - ${i.description}${i.providerStates?.length ? `  [given ${i.providerStates.map((s) => s.name).join('; ')}]` : ''}`,
            );
        }
        io.out(`${lines.join('\n')}\n`);
        setExit(ExitCode.ok);
      });

    const publish = pact
      .command('publish')
      .description(
        'publish pacts to a Pact Broker or PactFlow (PUT /pacts/provider/{provider}/consumer/{consumer}/version/{version})',
      )
      .option('--pact <file>', 'a pact file to publish; repeat for several (default: both shipped pacts)', collect)
      .option(
        '--consumer-version <version>',
        "the consumer version to publish as (default: this harness's version, which fixes the contract)",
      )
      .option('--branch <branch>', 'record the consumer version on this branch')
      .option('--tag <tag>', 'tag the consumer version; repeat for several', collect)
      .option('--broker-url <url>', 'the broker (default: env PACT_BROKER_BASE_URL)');
    publish.addHelpText(
      'after',
      `
Credentials come from the environment only: PACT_BROKER_TOKEN (PactFlow, or a broker with bearer
auth), or PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD (basic auth). They are never printed.

Exit codes: 0 published, 1 the broker refused, 2 usage or configuration error, 3 broker unreachable.

Examples:
  PACT_BROKER_BASE_URL=https://you.pactflow.io PACT_BROKER_TOKEN=... pca-harness pact publish
  pca-harness pact publish --broker-url http://127.0.0.1:9292 --branch main --tag int
  npm run pact:publish -- --consumer-version 0.1.0`,
    );
    publish.action(async (opts: PublishOptions) => {
      let broker;
      try {
        broker = brokerFromEnv(io.env, opts.brokerUrl);
      } catch (e) {
        if (e instanceof BrokerConfigError) throw new UsageError(e.message);
        throw e;
      }
      const files = opts.pact?.length
        ? opts.pact.map((f) => path.resolve(io.cwd, f))
        : [shippedPact(SUPPLIER_PACT_FILE), shippedPact(RECORD_SERVICE_PACT_FILE)];
      const docs = files.map((f) => {
        try {
          return readPact(f);
        } catch (e) {
          if (e instanceof PactFileError) throw new UsageError(e.message);
          throw e;
        }
      });
      const consumerVersion = opts.consumerVersion ?? version();
      for (const doc of docs) {
        try {
          const done = await publishPact(broker, doc, {
            consumerVersion,
            ...(opts.branch ? { branch: opts.branch } : {}),
            ...(opts.tag ? { tags: opts.tag } : {}),
          });
          io.out(
            `published ${done.consumer} -> ${done.provider} as ${done.consumer} ${done.consumerVersion}: ${done.url}\n`,
          );
        } catch (e) {
          if (e instanceof BrokerConfigError) throw new UsageError(e.message);
          if (!(e instanceof BrokerError)) throw e;
          io.err(`error: ${e.message}\n`);
          setExit(ExitCode.checkFailed);
          return;
        }
      }
      setExit(ExitCode.ok);
    });
  },
};

export default pactCommand;
