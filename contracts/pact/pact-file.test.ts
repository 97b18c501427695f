/**
 * The canonical pact form the committed files are written in: same contract, same bytes, whatever
 * order pact-js merged the interactions in and whichever version of its core wrote them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type PactDocument, PactFileError, parsePact, readPact, renderPact } from './pact-file';

const interaction = (description: string, state?: string) => ({
  description,
  ...(state ? { providerStates: [{ name: state }] } : {}),
  request: { method: 'GET', path: `/${description}` },
  response: { status: 200 },
  type: 'Synchronous/HTTP',
});

const doc = (interactions: unknown[], metadata: Record<string, unknown>): PactDocument =>
  parsePact({ provider: { name: 'P' }, consumer: { name: 'C' }, interactions, metadata }, 'test');

describe('renderPact', () => {
  it('gives the same bytes whatever the interaction order and tool versions', () => {
    const a = renderPact(
      doc([interaction('b', 's'), interaction('a')], {
        pactSpecification: { version: '4.0' },
        'pact-js': { version: '16.4.0' },
        pactRust: { ffi: '0.5.4' },
      }),
    );
    const b = renderPact(
      doc([interaction('a'), interaction('b', 's')], {
        pactRust: { ffi: '0.6.0' },
        pactSpecification: { version: '4.0' },
      }),
    );
    expect(a).toBe(b);
    expect(JSON.parse(a)).toEqual({
      consumer: { name: 'C' },
      interactions: [interaction('a'), interaction('b', 's')],
      metadata: { pactSpecification: { version: '4.0' } },
      provider: { name: 'P' },
    });
    expect(a.endsWith('}\n')).toBe(true);
  });
});

describe('parsePact', () => {
  it.each([
    [[], 'has no interactions'],
    [[interaction('a'), interaction('a')], 'two interactions are described as "a"'],
    [[{ ...interaction('m'), type: 'Asynchronous/Messages' }], 'only HTTP interactions can be verified here'],
    [[{ description: 'x' }], 'interaction 0 needs a "description", a "request" and a "response"'],
  ])('refuses %j', (interactions, message) => {
    expect(() => doc(interactions, {})).toThrow(PactFileError);
    expect(() => doc(interactions, {})).toThrow(message);
  });

  it('names the file it cannot read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pca-harness-pactfile-'));
    try {
      writeFileSync(path.join(dir, 'bad.json'), '{ not json');
      expect(() => readPact(path.join(dir, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
      expect(() => readPact(path.join(dir, 'missing.json'))).toThrow(/cannot read pact file .*missing\.json: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
