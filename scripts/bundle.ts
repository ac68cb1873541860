/**
 * `npm run bundle`: the controller image's build context, dist/image/. The runtime becomes one CommonJS file
 * (AWS SDK, client-node, prom-client and pino inlined, so the image needs no node_modules), beside the Dockerfile
 * that only copies it, a package.json that marks the package root and carries the version, and the lab manifests
 * (for --simulated-cluster demos). The packed package ships this folder, so an infra repo that installed
 * karpenter-ts builds the image from it with no source checkout.
 */
import { build } from 'esbuild';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../runtime/package-root';

/** The image's build context, relative to the package root. */
export const IMAGE_CONTEXT = join('dist', 'image');
export const BUNDLE_PATH = join(IMAGE_CONTEXT, 'karpenter-ts.js');

export async function bundle(root: string = packageRoot(__dirname)): Promise<string> {
  const context = join(root, IMAGE_CONTEXT);
  rmSync(context, { recursive: true, force: true });
  mkdirSync(context, { recursive: true });
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
    // Whitespace, comments and syntax minified, names kept (stack traces and logs stay readable): V8 holds the
    // whole source in memory, two bytes a character once it has one non-ASCII comment, so this is ~12 MiB of RSS.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
    legalComments: 'linked',
    // cli.ts runs itself when it is the main module; in the bundle, main.ts is the only entry that may run.
    define: { 'require.main': 'undefined' },
    logLevel: 'warning',
    metafile: true,
  });
  copyFileSync(join(root, 'runtime', 'Dockerfile'), join(context, 'Dockerfile'));
  cpSync(join(root, 'examples', 'lab'), join(context, 'examples', 'lab'), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const marker = { name: pkg.name, version: pkg.version, license: pkg.license, private: true };
  writeFileSync(join(context, 'package.json'), JSON.stringify(marker, null, 2) + '\n');
  const bytes = Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
  process.stdout.write(
    `wrote ${IMAGE_CONTEXT}/ (bundle ${(bytes / 2 ** 20).toFixed(1)} MiB with source map)\n`,
  );
  return outfile;
}

if (require.main === module) {
  bundle().catch((err: unknown) => {
    process.stderr.write(`bundle failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
