/**
 * A controller started as a plain Node process (the bundle as the image runs it), with the ports it logs and its
 * output, for tests of what users run.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Polls `fn` until it returns a value; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface StartedController {
  child: ChildProcess;
  metricsPort: number;
  healthProbePort: number;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `node <args>` on loopback ports the OS picks and waits for its "serving" log line. */
export async function startController(args: string[], cwd: string): Promise<StartedController> {
  let out = '';
  const child = spawn(process.execPath, args, {
    cwd,
    env: { PATH: process.env.PATH, METRICS_PORT: '0', HEALTH_PROBE_PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ports = await until('the serving log line', async () => {
    const line = out.split('\n').find((l) => l.includes('"serving /metrics, /healthz and /readyz"'));
    return line ? (JSON.parse(line) as { metricsPort: number; healthProbePort: number }) : undefined;
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}; it printed:\n${out}`);
  });
  return { child, ...ports, output: () => out, exited };
}
