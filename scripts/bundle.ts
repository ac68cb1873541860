/**
 * `npm run bundle`: the controller runtime as one CommonJS file, dist/bundle/karpenter-ts.js, for the container
 * image. Everything (AWS SDK, client-node, prom-client, pino) is inlined, so the image needs no node_modules.
 */
import { build } from 'esbuild';
import { join } from 'node:path';
import { packageRoot } from '../runtime/package-root';

export const BUNDLE_PATH = join('dist', 'bundle', 'karpenter-ts.js');

export async function bundle(root: string = packageRoot(__dirname)): Promise<string> {
  const outfile = join(root, BUNDLE_PATH);
  const result = await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'runtime', 'server', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    legalComments: 'linked',
    // cli.ts runs itself when it is the main module; in the bundle, main.ts is the only entry that may run.
    define: { 'require.main': 'undefined' },
    logLevel: 'warning',
    metafile: true,
  });
  const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  process.stdout.write(`wrote ${BUNDLE_PATH} (${(bytes / 2 ** 20).toFixed(1)} MiB with source map)\n`);
  return outfile;
}

if (require.main === module) {
  bundle().catch((err: unknown) => {
    process.stderr.write(`bundle failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
