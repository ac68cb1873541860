/**
 * `KubeApi` for real clusters. @kubernetes/client-node supplies the server URL, credentials and TLS (KubeConfig)
 * and the watch stream (Watch); requests go through node-fetch with the options KubeConfig produces. Objects stay
 * in wire JSON: client-node's typed models (ObjectSerializer) would turn timestamps into Date objects.
 */
import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import fetch, { Headers } from 'node-fetch';
import {
  AlreadyExistsError,
  ApiError,
  ConflictError,
  GoneError,
  InvalidError,
  minorVersion,
  NotFoundError,
  TooManyRequestsError,
} from '../api';
import type {
  DeleteOptions,
  KubeApi,
  ListOptions,
  ListResult,
  MergePatch,
  WatchEvent,
  WatchHandle,
  WatchOptions,
} from '../api';
import { clientGoRequestTotal } from '../../metrics/metrics';
import { AgentCache } from './agent-cache';
import { TokenBucket } from '../rate-limiter';
import { apiVersionOf } from '../kinds';
import type { ResourceKind } from '../kinds';
import type { KubeObject } from '../objects';

/**
 * The REST path of a kind's collection (no name) or of one object. A namespaced kind without a namespace addresses
 * the collection across all namespaces, which only makes sense without a name.
 */
export function resourcePath(kind: ResourceKind, name?: string, namespace?: string): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  if (kind.namespaced && name !== undefined && !namespace) {
    throw new Error(`${kind.kind} ${name}: a namespace is required`);
  }
  const ns = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name !== undefined ? `/${encodeURIComponent(name)}` : '';
  return `${base}${ns}/${kind.plural}${item}`;
}

/** Maps an HTTP status and a Kubernetes `Status` body (if any) to the ApiError subclasses of the seam. */
export function apiErrorFor(status: number, body: unknown, fallbackMessage: string): ApiError {
  const s = isRecord(body) ? body : {};
  const message = typeof s.message === 'string' && s.message !== '' ? s.message : fallbackMessage;
  const reason =
    typeof s.reason === 'string' && s.reason !== '' ? s.reason : (STATUS_CODES[status] ?? 'Unknown');
  switch (status) {
    case 404:
      return new NotFoundError(message);
    case 409:
      return reason === 'AlreadyExists' ? new AlreadyExistsError(message) : new ConflictError(message);
    case 410:
      return new GoneError(message);
    case 422:
      return new InvalidError(message);
    case 429:
      return new TooManyRequestsError(message);
    default:
      return new ApiError(status, reason, message);
  }
}

interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

/** A request (not a watch) with no answer after this long is abandoned as a transient failure. */
export const REQUEST_TIMEOUT_MS = 60_000;

/** The client-side request rate (KUBE_CLIENT_QPS, KUBE_CLIENT_BURST); none: unlimited. */
export interface ClientRateLimit {
  qps: number;
  burst: number;
}

export class ClientNodeApi implements KubeApi {
  private readonly limiter: TokenBucket | undefined;
  /** One keep-alive agent for every request, not client-node's new one per call (agent-cache.ts). */
  private readonly agents = new AgentCache();

  constructor(
    private readonly kc: KubeConfig,
    /** @default REQUEST_TIMEOUT_MS */
    private readonly requestTimeoutMs = REQUEST_TIMEOUT_MS,
    rateLimit?: ClientRateLimit | TokenBucket,
  ) {
    this.limiter = rateLimit instanceof TokenBucket || !rateLimit ? rateLimit : new TokenBucket(rateLimit);
  }

  /** Uses $KUBECONFIG, ~/.kube/config or the in-cluster service account, as kubectl would. */
  static fromDefault(rateLimit?: ClientRateLimit): ClientNodeApi {
    const kc = new KubeConfig();
    kc.loadFromDefault();
    return new ClientNodeApi(kc, REQUEST_TIMEOUT_MS, rateLimit);
  }

  /** From a kubeconfig's text (YAML or JSON), e.g. a Pulumi output. */
  static fromKubeconfig(kubeconfig: string): ClientNodeApi {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfig);
    return new ClientNodeApi(kc);
  }

  /**
   * The CA this client trusts for the API server, base64 PEM as nodes take it: the kubeconfig's inline data, or
   * its CA file (in a pod, the service account's ca.crt). Undefined when the kubeconfig names none.
   */
  clusterCABundle(): string | undefined {
    const cluster = this.kc.getCurrentCluster();
    if (cluster?.caData) return cluster.caData;
    if (cluster?.caFile) return readFileSync(cluster.caFile).toString('base64');
    return undefined;
  }

  async list<T extends KubeObject>(kind: ResourceKind<T>, opts: ListOptions = {}): Promise<ListResult<T>> {
    const body = await this.request('GET', resourcePath(kind, undefined, opts.namespace), {
      query: {
        labelSelector: opts.labelSelector || undefined,
        fieldSelector: opts.fieldSelector || undefined,
      },
    });
    const list = isRecord(body) ? body : {};
    const meta = isRecord(list.metadata) ? list.metadata : {};
    const items = Array.isArray(list.items) ? list.items : [];
    return {
      // Items in a list carry no apiVersion/kind on the wire; callers expect complete objects.
      items: items.filter(isRecord).map((item) => withTypeMeta(kind, item)),
      resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
    };
  }

  async get<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    try {
      return this.object(kind, await this.request('GET', resourcePath(kind, name, namespace)));
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async create<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> {
    const namespace = this.namespaceOf(kind, obj);
    const body = { ...obj, apiVersion: apiVersionOf(kind), kind: kind.kind };
    return this.object(kind, await this.request('POST', resourcePath(kind, undefined, namespace), { body }));
  }

  async update<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> {
    return this.object(kind, await this.request('PUT', this.objectPath(kind, obj), { body: obj }));
  }

  async updateStatus<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T> {
    return this.object(
      kind,
      await this.request('PUT', `${this.objectPath(kind, obj)}/status`, { body: obj }),
    );
  }

  async patch<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    patch: MergePatch,
    namespace?: string,
  ): Promise<T> {
    const body = await this.request('PATCH', resourcePath(kind, name, namespace), {
      body: patch,
      contentType: 'application/merge-patch+json',
    });
    return this.object(kind, body);
  }

  async delete<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
    opts: DeleteOptions = {},
  ): Promise<void> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.resourceVersion !== undefined) body.preconditions = { resourceVersion: opts.resourceVersion };
    await this.request('DELETE', resourcePath(kind, name, namespace), { body });
  }

  async evict(name: string, namespace: string): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/eviction`;
    await this.request('POST', path, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
    });
  }

  async watch<T extends KubeObject>(
    kind: ResourceKind<T>,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle> {
    const path = resourcePath(kind, undefined, opts.namespace);
    let established = false;
    let ended = false;
    let startError: unknown;
    // Filled in once Watch returns; events may already arrive before that.
    const conn: { controller?: AbortController } = {};

    const end = (err?: Error): void => {
      if (ended) return;
      ended = true;
      conn.controller?.abort();
      opts.onClose?.(err);
    };

    const onLine = (phase: string, obj: unknown): void => {
      if (ended) return;
      if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') {
        if (!isRecord(obj)) return;
        try {
          onEvent({ type: phase, object: withTypeMeta(kind, obj) });
        } catch (err) {
          // Watch swallows callback exceptions; end the watch instead so the failure is seen.
          end(toError(err));
        }
      } else if (phase === 'ERROR') {
        const code = isRecord(obj) && typeof obj.code === 'number' ? obj.code : 500;
        end(apiErrorFor(code, obj, `watch ${path}: error event`));
      } else if (phase === 'BOOKMARK') {
        const rv = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata.resourceVersion : undefined;
        if (typeof rv === 'string' && rv) opts.onBookmark?.(rv);
      }
    };

    const onDone = (err: unknown): void => {
      // Watch reports a failed start (non-2xx, connection refused) through done() before it returns.
      if (!established) {
        startError = err ?? new Error(`watch ${path}: closed before it started`);
        return;
      }
      end(err ? toError(err) : undefined);
    };

    const query = { resourceVersion: opts.resourceVersion, allowWatchBookmarks: true };
    // Starting a watch is a request like any other (client-go limits it too); the open stream is not.
    await this.limiter?.acquire();
    const controller = await new Watch(this.kc).watch(path, query, onLine, onDone).then(
      (c) => (this.count('GET', startError === undefined ? '200' : '<error>'), c),
      (err: unknown) => {
        this.count('GET', '<error>');
        throw err;
      },
    );
    conn.controller = controller;
    established = true;
    if (startError !== undefined) {
      ended = true;
      throw watchStartError(startError, path);
    }
    if (ended) controller.abort();
    return {
      // Marking the watch ended first keeps the abort's own done() from reaching onClose.
      stop: () => {
        ended = true;
        controller.abort();
      },
    };
  }

  private namespaceOf(kind: ResourceKind, obj: KubeObject): string | undefined {
    const namespace = obj.metadata.namespace;
    if (kind.namespaced && !namespace) {
      throw new Error(
        `${kind.kind} ${obj.metadata.name ?? obj.metadata.generateName ?? ''}: a namespace is required`,
      );
    }
    return namespace;
  }

  private objectPath(kind: ResourceKind, obj: KubeObject): string {
    const name = obj.metadata.name;
    if (!name) throw new Error(`${kind.kind}: metadata.name is required`);
    return resourcePath(kind, name, this.namespaceOf(kind, obj));
  }

  private object<T extends KubeObject>(kind: ResourceKind<T>, body: unknown): T {
    if (!isRecord(body)) throw new Error(`${kind.kind}: the API server returned no object`);
    return withTypeMeta(kind, body);
  }

  async serverVersion(): Promise<string> {
    return minorVersion((await this.request('GET', '/version')) as { major?: string; minor?: string });
  }

  private count(method: string, code: string): void {
    clientGoRequestTotal.inc({ code, method });
  }

  private async request(method: string, path: string, opts: RequestOptions = {}): Promise<unknown> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    // The server may carry a path prefix (API proxies), so append rather than resolve.
    const url = new URL(cluster.server.replace(/\/+$/, '') + path);
    for (const [key, value] of Object.entries(opts.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    await this.limiter?.acquire();
    // Called per request: exec/OIDC credentials can rotate, and this is where KubeConfig refreshes them.
    const init = await this.kc.applyToFetchOptions({});
    init.agent = this.agents.reuse(init.agent);
    // init.headers is a WHATWG Headers; copy it into node-fetch's so we can add ours.
    const headers = new Headers(init.headers);
    headers.set('Accept', 'application/json');
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers.set('Content-Type', opts.contentType ?? 'application/json');
    }
    // A lost answer would otherwise hold its caller (a reconcile, a provisioning round) forever; timed out, it is
    // an ETIMEDOUT the callers' retries already treat as transient.
    const signal = AbortSignal.timeout(this.requestTimeoutMs);
    const timedOut = (err: unknown): unknown =>
      signal.aborted
        ? Object.assign(new Error(`${method} ${path}: no answer within ${this.requestTimeoutMs} ms`), {
            code: 'ETIMEDOUT',
          })
        : err;
    let res: Awaited<ReturnType<typeof fetch>>;
    let text: string;
    try {
      res = await fetch(url.toString(), { ...init, method, headers, body, signal: signal as never });
      text = await res.text();
    } catch (err) {
      this.count(method, '<error>');
      throw timedOut(err);
    }
    this.count(method, String(res.status));
    const parsed = parseJson(text);
    if (!res.ok) {
      throw apiErrorFor(
        res.status,
        parsed,
        `${method} ${path}: ${res.status} ${text || res.statusText}`.trim(),
      );
    }
    return parsed;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Fills apiVersion/kind (absent from list items) without touching anything else. */
function withTypeMeta<T extends KubeObject>(kind: ResourceKind<T>, obj: Record<string, unknown>): T {
  const metadata = isRecord(obj.metadata) ? obj.metadata : {};
  return { ...obj, apiVersion: apiVersionOf(kind), kind: kind.kind, metadata } as unknown as T;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function watchStartError(err: unknown, path: string): Error {
  // Watch throws an Error carrying only statusCode and statusText; the Status body is not available.
  if (isRecord(err) && typeof err.statusCode === 'number') {
    const message = err instanceof Error ? err.message : '';
    return apiErrorFor(err.statusCode, undefined, `watch ${path}: ${err.statusCode} ${message}`.trim());
  }
  return toError(err);
}
