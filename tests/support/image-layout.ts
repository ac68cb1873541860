/**
 * Lays out an image build context the way its Dockerfile's COPY lines would, under a folder standing in for the
 * image's root, and returns the ENTRYPOINT's node arguments rewritten to that folder. Only the instructions our
 * Dockerfile uses are understood (FROM, ENV, WORKDIR, COPY without --from, USER, EXPOSE, ENTRYPOINT in exec form);
 * anything else fails the test, so a Dockerfile change cannot slip past it.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface ImageLayout {
  /** Each COPY source, relative to the context. */
  copied: string[];
  /** Sources a COPY names that the context lacks. */
  missing: string[];
  /** The node arguments of the ENTRYPOINT, paths under the image root moved under `root`. */
  entrypoint: string[];
}

export function dockerfileInstructions(text: string): { op: string; args: string }[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

export function layOutImage(
  context: string,
  root: string,
  dockerfile = join(context, 'Dockerfile'),
): ImageLayout {
  const copied: string[] = [];
  const missing: string[] = [];
  let entrypoint: string[] = [];
  const inRoot = (path: string) => join(root, path);
  for (const { op, args } of dockerfileInstructions(readFileSync(dockerfile, 'utf8'))) {
    switch (op) {
      case 'FROM':
      case 'ENV':
      case 'WORKDIR':
      case 'USER':
      case 'EXPOSE':
        break;
      case 'COPY': {
        if (args.startsWith('--')) throw new Error(`COPY ${args}: flags are not understood by this test`);
        const parts = args.split(/\s+/);
        const dest = parts.pop() as string;
        for (const src of parts) {
          const from = join(context, src);
          copied.push(src);
          if (!existsSync(from)) {
            missing.push(src);
            continue;
          }
          const to = dest.endsWith('/') ? join(inRoot(dest), basename(src)) : inRoot(dest);
          mkdirSync(statSync(from).isDirectory() ? to : join(to, '..'), { recursive: true });
          cpSync(from, to, { recursive: true });
        }
        break;
      }
      case 'ENTRYPOINT': {
        const argv = JSON.parse(args) as string[];
        if (argv[0] !== 'node') throw new Error(`ENTRYPOINT ${args}: expected node`);
        entrypoint = argv.slice(1).map((a) => (a.startsWith('/') ? inRoot(a) : a));
        break;
      }
      default:
        throw new Error(`${op} ${args}: not understood by this test`);
    }
  }
  return { copied, missing, entrypoint };
}
