/** `npm run docs:readme`: regenerates the generated sections of README.md from the code. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderReadmeSections, replaceSection } from '../test-support/readme';

const file = path.join(__dirname, '..', 'README.md');
let text = readFileSync(file, 'utf8');
for (const [name, body] of Object.entries(renderReadmeSections())) text = replaceSection(text, name, body);
writeFileSync(file, text);
process.stdout.write(`updated ${file}\n`);
