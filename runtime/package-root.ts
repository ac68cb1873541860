import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package's root folder (where package.json is), whether running from sources or from dist/. */
export function packageRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the karpenter-ts package root above ${from}`);
    dir = parent;
  }
  return dir;
}
