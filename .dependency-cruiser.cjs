/**
 * The architecture's layers, enforced: core -> fixtures -> contracts -> mocks -> suites -> load -> cli.
 * A module imports only from its own layer or below, and nothing imports in a circle (type-only
 * imports included). `index.ts` (the public API) may import any layer but cli.
 */
const LAYERS = ['core', 'fixtures', 'contracts', 'mocks', 'suites', 'load', 'cli'];

const upward = LAYERS.map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `${layer}/ may import only from ${LAYERS.slice(0, i + 1).join(', ')}`,
  severity: 'error',
  from: { path: `^${layer}/`, pathNot: '\\.test\\.ts$' },
  to: { path: `^(${LAYERS.slice(i + 1).join('|') || '(?!)'})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-cycles',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'product-not-from-tests',
      comment: 'Product code never imports test support.',
      severity: 'error',
      from: { path: '^(core|fixtures|contracts|mocks|suites|load|cli)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^(test-support|test)/|\\.test\\.ts$|contracts/test-helpers\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage|examples)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
