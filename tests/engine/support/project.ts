/**
 * A Pulumi project on disk run with the real CLI: Pulumi.yaml, a TypeScript program importing the packed
 * karpenter-ts installed in the scratch directory (what users run), a local file backend, a passphrase, no update
 * check and no plugin download. Every command's output goes to a file first (a closed pipe would kill `pulumi up`
 * and leave the stack locked), then is read back.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  existsSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { kubeconfigPath, workdir } from './describe';
import { engine } from './engine';

export interface RunResult {
  code: number;
  /** stdout and stderr, interleaved as the CLI wrote them. */
  output: string;
  logFile: string;
}

/** How long one CLI command may take before it is interrupted (a cold language host compiles TypeScript). */
const COMMAND_TIMEOUT_MS = 300_000;

/** One PULUMI_HOME per run, its plugin cache the engine build's (read-only use), so runs leave the cache alone. */
function pulumiHome(root: string): string {
  const home = path.join(root, 'pulumi-home');
  if (!existsSync(home)) {
    mkdirSync(home, { recursive: true });
    symlinkSync(path.join(engine().home, 'plugins'), path.join(home, 'plugins'));
  }
  return home;
}

export class PulumiProject {
  readonly dir: string;
  private readonly stateDir: string;
  private runs = 0;

  constructor(
    readonly name: string,
    private readonly extraEnv: Record<string, string> = {},
  ) {
    if (!workdir) throw new Error('the engine tests are not set up (no scratch directory)');
    this.dir = path.join(workdir, 'projects', name);
    this.stateDir = path.join(this.dir, '.state');
    mkdirSync(this.stateDir, { recursive: true });
    mkdirSync(path.join(this.dir, 'logs'), { recursive: true });
    writeFileSync(
      path.join(this.dir, 'Pulumi.yaml'),
      `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\ndescription: karpenter-ts engine test\n`,
    );
    writeFileSync(
      path.join(this.dir, 'package.json'),
      JSON.stringify({ name, version: '0.0.0', private: true, main: 'index.ts' }, null, 2),
    );
    // `pulumi new typescript`'s tsconfig, as users have it (classic "node" module resolution, no skipLibCheck).
    writeFileSync(
      path.join(this.dir, 'tsconfig.json'),
      JSON.stringify(
        {
          compilerOptions: {
            strict: true,
            outDir: 'bin',
            target: 'es2020',
            module: 'commonjs',
            moduleResolution: 'node',
            sourceMap: true,
            experimentalDecorators: true,
            pretty: true,
            noFallthroughCasesInSwitch: true,
            noImplicitReturns: true,
            forceConsistentCasingInFileNames: true,
          },
          files: ['index.ts'],
        },
        null,
        2,
      ),
    );
  }

  /** Replace the program (index.ts). */
  program(source: string): this {
    writeFileSync(path.join(this.dir, 'index.ts'), source);
    return this;
  }

  env(): NodeJS.ProcessEnv {
    const e = engine();
    return {
      ...process.env,
      PATH: `${e.binDir}:${process.env.PATH ?? ''}`,
      PULUMI_HOME: pulumiHome(workdir ?? this.dir),
      PULUMI_BACKEND_URL: `file://${this.stateDir}`,
      PULUMI_CONFIG_PASSPHRASE: 'karpenter-ts-engine-tests',
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      // The kubernetes plugin from the plugin cache (installed there as the SDK's version), not the copy on PATH.
      PULUMI_IGNORE_AMBIENT_PLUGINS: 'true',
      // The program's Kubernetes provider and the drift preview read the cluster from here.
      KUBECONFIG: kubeconfigPath ?? '',
      ...this.extraEnv,
    };
  }

  /** Run `pulumi <args>` in the project; never throws for a non-zero exit (tests assert on it). */
  run(args: string[], timeoutMs = COMMAND_TIMEOUT_MS): Promise<RunResult> {
    this.runs += 1;
    const logFile = path.join(this.dir, 'logs', `${String(this.runs).padStart(2, '0')}-${args[0]}.log`);
    const fd = openSync(logFile, 'w');
    return new Promise((resolve, reject) => {
      const child = spawn('pulumi', [...args, '--non-interactive', '--color', 'never'], {
        cwd: this.dir,
        env: this.env(),
        stdio: ['ignore', fd, fd],
      });
      // SIGINT lets pulumi cancel and unlock the stack; SIGKILL if it does not stop.
      const timer = setTimeout(() => {
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        closeSync(fd);
        reject(err);
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        closeSync(fd);
        resolve({ code: code ?? (signal ? 128 : 1), output: readFileSync(logFile, 'utf8'), logFile });
      });
    });
  }

  /** Run and fail with the CLI's output unless it exits 0. */
  async ok(args: string[], timeoutMs?: number): Promise<RunResult> {
    const r = await this.run(args, timeoutMs);
    if (r.code !== 0)
      throw new Error(`pulumi ${args.join(' ')} exited ${r.code} (${r.logFile}):\n${r.output}`);
    return r;
  }

  /** `pulumi stack init` on the project's own file backend. */
  async init(stack = 'test'): Promise<void> {
    await this.ok(['stack', 'init', stack]);
  }
}

/** The header every test program starts with: the cluster's Kubernetes provider from KUBECONFIG. */
export const PROGRAM_HEADER = `
import * as fs from 'node:fs';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

const kubeconfig = fs.readFileSync(process.env.KUBECONFIG as string, 'utf8');
const provider = new k8s.Provider('cluster', { kubeconfig });
`;
