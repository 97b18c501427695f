#!/usr/bin/env node
'use strict';
// Runs the compiled CLI (built by `npm ci` through the prepare script, or `npm run build`).
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'cli', 'bin.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write('pca-harness is not built yet: run `npm run build` (npm ci does it for you).\n');
  process.exit(2);
}
require(compiled);
