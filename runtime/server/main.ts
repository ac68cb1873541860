/**
 * The entry point of the single-file bundle (the container image): the same commands as `karpenter-ts`, with
 * `controller` as the default when no command is given.
 */
import { buildProgram } from '../cli';

const COMMANDS = new Set(['controller', 'lab', 'viewer', 'help']);

export function withDefaultCommand(args: string[]): string[] {
  const first = args[0];
  return first !== undefined && (COMMANDS.has(first) || first === '--help' || first === '-h')
    ? args
    : ['controller', ...args];
}

buildProgram()
  .parseAsync([
    process.argv[0] as string,
    process.argv[1] as string,
    ...withDefaultCommand(process.argv.slice(2)),
  ])
  .catch((err: unknown) => {
    process.stderr.write(`karpenter-ts: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
