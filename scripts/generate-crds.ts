/**
 * Writes sdk/crds/*.yaml from the zod schemas in sdk/api (run: npm run crds).
 * With --check it writes nothing and exits 1 if a committed file is stale, for CI and pre-commit hooks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCrds, REGENERATE_COMMAND } from '../sdk/crd/generate';
import { checkCrd } from '../sdk/crd/structural';

const outDir = join(__dirname, '..', 'sdk', 'crds');
const check = process.argv.includes('--check');
let failed = false;

for (const generated of generateCrds()) {
  const file = join(outDir, generated.fileName);
  for (const warning of generated.warnings) console.warn(`warning: ${warning}`);
  const problems = checkCrd(generated.crd);
  if (problems.length > 0) {
    console.error(`${generated.fileName} is not a valid structural CRD:\n  ${problems.join('\n  ')}`);
    failed = true;
    continue;
  }
  if (check) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== generated.yaml) {
      console.error(`${file} is out of date: run ${REGENERATE_COMMAND}`);
      failed = true;
    }
  } else {
    writeFileSync(file, generated.yaml);
    console.log(`wrote ${file}`);
  }
}
process.exit(failed ? 1 : 0);
