/**
 * The controller's two small HTTP servers: health probes (GET /healthz, /readyz) on HEALTH_PROBE_PORT and
 * Prometheus metrics (GET /metrics) on METRICS_PORT, as Karpenter serves them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A probe: undefined when healthy, else why not. */
export type Check = () => string | undefined;

export interface Route {
  contentType: string;
  /** Resolves to [status, body]. */
  handle: () => Promise<[number, string]>;
}

export interface RunningServer {
  /** The bound port (useful when started on port 0). */
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  /** @default "0.0.0.0" */
  host?: string;
  routes: Record<string, Route>;
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const route = opts.routes[path];
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    route.handle().then(
      ([status, body]) => res.writeHead(status, { 'content-type': route.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  // Probes and scrapes are short: do not let idle keep-alive sockets hold shutdown up.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** GET /healthz and /readyz: 200 "ok", or 500 with the failing check's reason. */
export function probeRoutes(checks: { healthz: Check; readyz: Check }): Record<string, Route> {
  const route = (check: Check): Route => ({
    contentType: 'text/plain; charset=utf-8',
    handle: () => {
      const problem = check();
      return Promise.resolve(problem === undefined ? [200, 'ok\n'] : [500, `${problem}\n`]);
    },
  });
  return { '/healthz': route(checks.healthz), '/readyz': route(checks.readyz) };
}

/** GET /metrics in the Prometheus text format. */
export function metricsRoutes(scrape: () => Promise<string>, contentType: string): Record<string, Route> {
  return { '/metrics': { contentType, handle: async () => [200, await scrape()] } };
}
