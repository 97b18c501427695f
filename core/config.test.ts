import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, DEFAULT_CONFIG, ENV_VARIABLES, loadConfig, redactedConfig } from './config';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'pca-config-'));
}

describe('loadConfig', () => {
  it('uses the defaults when there is no file', () => {
    const { config, source } = loadConfig({ cwd: tmp(), env: {} });
    expect(source).toBeUndefined();
    expect(config.platform.port).toBe(7070);
    expect(config).toEqual(DEFAULT_CONFIG);
  });

  it('layers file < environment < flags', () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, 'pca-harness.config.json'),
      JSON.stringify({ platform: { port: 8000, mode: 'int' }, supplier: { port: 9000 } }),
    );
    const { config, source } = loadConfig({
      cwd: dir,
      env: { PCA_HARNESS_PLATFORM_PORT: '8100', PCA_HARNESS_SUPPLIER_NHS_LOGIN_ISSUER: 'http://localhost:1/nhs-login' },
      overrides: { supplier: { port: 9100 } },
    });
    expect(source).toBe(path.join(dir, 'pca-harness.config.json'));
    expect(config.platform).toMatchObject({ port: 8100, mode: 'int', profile: 'int' });
    expect(config.supplier).toMatchObject({ port: 9100, nhsLoginIssuer: 'http://localhost:1/nhs-login' });
    expect(config.stateDir).toBe(path.join(dir, '.pca-harness'));
  });

  it('names the key and what was wrong', () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, 'pca-harness.config.json'),
      JSON.stringify({ platform: { mode: 'loose', port: 'x' }, nope: 1 }),
    );
    let err: unknown;
    try {
      loadConfig({ cwd: dir, env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/platform\.mode \(env PCA_HARNESS_PLATFORM_MODE\): must be one of "strict", "int"/);
    expect(msg).toMatch(/platform\.port .*must be of type integer/);
    expect(msg).toMatch(/unexpected property "nope"/);
  });

  it('explains bad environment values and malformed files', () => {
    expect(() => loadConfig({ cwd: tmp(), env: { PCA_HARNESS_PLATFORM_PORT: 'seventy' } })).toThrow(
      /PCA_HARNESS_PLATFORM_PORT="seventy" is not a number/,
    );
    expect(() => loadConfig({ cwd: tmp(), env: { PCA_HARNESS_PLATFORM_PORT: '70000' } })).toThrow(
      /platform\.port.*must be <= 65535/,
    );
    const dir = tmp();
    writeFileSync(path.join(dir, 'broken.json'), '{ "platform": ');
    expect(() => loadConfig({ cwd: dir, env: {}, file: 'broken.json' })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ cwd: dir, env: {}, file: 'missing.json' })).toThrow(/does not exist/);
  });

  it('lists every scalar setting as an environment variable', () => {
    const names = ENV_VARIABLES.map((v) => v.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'PCA_HARNESS_STATE_DIR',
        'PCA_HARNESS_PLATFORM_MODE',
        'PCA_HARNESS_SUPPLIER_PATHS_APPOINTMENTS',
        'PCA_HARNESS_PLATFORM_CLIENTS',
      ]),
    );
  });

  it('redacts secrets for display', () => {
    const cfg = loadConfig({
      cwd: tmp(),
      env: {},
      overrides: {
        platform: {
          clients: [
            {
              clientId: 'c1',
              apiKey: 'api-key-123456',
              resourceType: 'Appointment',
              endpoint: { url: 'http://127.0.0.1:1', auth: { type: 'static', token: 'tok-secret' } },
            },
          ],
        },
      },
    }).config;
    const shown = JSON.stringify(redactedConfig(cfg));
    expect(shown).not.toContain('api-key-123456');
    expect(shown).not.toContain('tok-secret');
    expect(shown).not.toContain(DEFAULT_CONFIG.supplier.clientSecret);
  });

  it('takes the consumer API bearers and business-rule lists, refusing malformed ones, and never shows the bearers', () => {
    const dir = tmp();
    const aggregator = {
      consumerTokens: ['nhs-app-int-token'],
      businessRules: { maxRecordAgeYears: 6, waitingListExcludedOds: ['TST', 'X26'], questionnaireExcludedOds: [] },
    };
    writeFileSync(path.join(dir, 'pca-harness.config.json'), JSON.stringify({ platform: { aggregator } }));
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(config.platform.aggregator).toEqual(aggregator);
    expect(JSON.stringify(redactedConfig(config))).not.toContain('nhs-app-int-token');
    writeFileSync(
      path.join(dir, 'pca-harness.config.json'),
      JSON.stringify({
        platform: { aggregator: { consumerTokens: ['two words'], businessRules: { waitingListExcludedOds: ['t s'] } } },
      }),
    );
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/platform\.aggregator\.consumerTokens/);
  });
});

describe('commented config files', () => {
  it('accepts // and /* */ comments but not inside strings', () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, 'pca-harness.config.json'),
      `{
      // where state lives
      "stateDir": "state//dir", /* a path with // stays */
      "platform": { "mode": "int" }
    }`,
    );
    const { config } = loadConfig({ cwd: dir, env: {} });
    expect(config.stateDir).toBe(path.join(dir, 'state//dir'));
    expect(config.platform.mode).toBe('int');
  });
});
