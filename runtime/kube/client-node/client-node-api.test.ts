import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import {
  AlreadyExistsError,
  ApiError,
  ConflictError,
  GoneError,
  InvalidError,
  NotFoundError,
  TooManyRequestsError,
  isConflict,
  isTransient,
} from '../api';
import type { WatchEvent } from '../api';
import { Kinds } from '../kinds';
import type { Deployment, Node, NodeClaim, NodePool, Pod } from '../objects';
import { ClientNodeApi, resourcePath } from './index';

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}

type Handler = (req: Recorded, res: ServerResponse) => void;

let server: Server;
let api: ClientNodeApi;
let handler: Handler;
let requests: Recorded[];
/** Resolves once per request when the client's connection closes (used to see that stop() aborted). */
let closed: Promise<void>[];

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > timeoutMs) reject(new Error('timed out waiting'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

/** A kubeconfig pointing at the test server, with a bearer token. */
function testKubeconfig(): KubeConfig {
  const port = (server.address() as AddressInfo).port;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'abc' }],
    contexts: [{ name: 'c', cluster: 't', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    closed.push(new Promise((resolve) => res.on('close', () => resolve())));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const text = Buffer.concat(chunks).toString('utf8');
      const rec: Recorded = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: text ? (JSON.parse(text) as unknown) : undefined,
      };
      requests.push(rec);
      handler(rec, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = new ClientNodeApi(testKubeconfig());
});

beforeEach(() => {
  requests = [];
  closed = [];
  handler = (_req, res) => json(res, 500, status(500, 'InternalError', 'no handler'));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const pod = (name: string, extra: Partial<Pod> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', creationTimestamp: '2024-05-01T10:00:00Z' },
  spec: { containers: [{ name: 'c' }] },
  ...extra,
});

describe('resourcePath', () => {
  it('builds core, apps and CRD paths, namespaced and cluster-scoped', () => {
    expect(resourcePath(Kinds.Pod, 'p1', 'ns')).toBe('/api/v1/namespaces/ns/pods/p1');
    expect(resourcePath(Kinds.Pod, undefined, 'ns')).toBe('/api/v1/namespaces/ns/pods');
    expect(resourcePath(Kinds.Pod)).toBe('/api/v1/pods');
    expect(resourcePath(Kinds.Node, 'n1')).toBe('/api/v1/nodes/n1');
    expect(resourcePath(Kinds.Node, 'n1', 'ignored')).toBe('/api/v1/nodes/n1');
    expect(resourcePath(Kinds.Deployment, 'web', 'prod')).toBe(
      '/apis/apps/v1/namespaces/prod/deployments/web',
    );
    expect(resourcePath(Kinds.PodDisruptionBudget, undefined, 'a')).toBe(
      '/apis/policy/v1/namespaces/a/poddisruptionbudgets',
    );
    expect(resourcePath(Kinds.NodePool, 'default')).toBe('/apis/karpenter.sh/v1/nodepools/default');
    expect(resourcePath(Kinds.EC2NodeClass)).toBe('/apis/karpenter.k8s.aws/v1/ec2nodeclasses');
  });

  it('refuses a named namespaced object without a namespace', () => {
    expect(() => resourcePath(Kinds.Pod, 'p1')).toThrow(/namespace is required/);
  });
});

describe('requests', () => {
  it('lists pods in a namespace with a label selector, the bearer token and filled-in type meta', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        apiVersion: 'v1',
        kind: 'PodList',
        metadata: { resourceVersion: '4711' },
        items: [
          {
            metadata: { name: 'a', namespace: 'default', creationTimestamp: '2024-05-01T10:00:00Z' },
            spec: {},
          },
        ],
      });
    const result = await api.list(Kinds.Pod, {
      namespace: 'default',
      labelSelector: 'app=web,tier=fe',
      fieldSelector: 'spec.nodeName=n1',
    });
    expect(requests).toHaveLength(1);
    expect(requests[0].method).toBe('GET');
    expect(requests[0].path).toBe('/api/v1/namespaces/default/pods');
    expect(requests[0].query.get('labelSelector')).toBe('app=web,tier=fe');
    expect(requests[0].query.get('fieldSelector')).toBe('spec.nodeName=n1');
    expect(requests[0].headers.authorization).toBe('Bearer abc');
    expect(result.resourceVersion).toBe('4711');
    expect(result.items).toHaveLength(1);
    expect(result.items[0].apiVersion).toBe('v1');
    expect(result.items[0].kind).toBe('Pod');
    expect(result.items[0].metadata.creationTimestamp).toBe('2024-05-01T10:00:00Z');
  });

  it('lists a cluster-scoped CRD without a namespace or selector', async () => {
    handler = (_req, res) =>
      json(res, 200, {
        metadata: { resourceVersion: '9' },
        items: [{ metadata: { name: 'default' }, spec: {} }],
      });
    const result = await api.list(Kinds.NodePool);
    expect(requests[0].path).toBe('/apis/karpenter.sh/v1/nodepools');
    expect(requests[0].query.has('labelSelector')).toBe(false);
    expect(requests[0].query.has('fieldSelector')).toBe(false);
    expect(result.items[0].apiVersion).toBe('karpenter.sh/v1');
    expect(result.items[0].kind).toBe('NodePool');
  });

  it("reads the server's Kubernetes minor version from /version", async () => {
    handler = (_req, res) => json(res, 200, { major: '1', minor: '34+', gitVersion: 'v1.34.1-eks-abc' });
    expect(await api.serverVersion()).toBe('1.34');
    expect(requests[0].path).toBe('/version');
    handler = (_req, res) => json(res, 200, { major: '', minor: '' });
    await expect(api.serverVersion()).rejects.toThrow(/expected numeric major and minor/);
  });

  it('lists pods across all namespaces', async () => {
    handler = (_req, res) => json(res, 200, { metadata: { resourceVersion: '1' }, items: [] });
    await api.list(Kinds.Pod);
    expect(requests[0].path).toBe('/api/v1/pods');
  });

  it('gets an apps object and returns undefined on 404', async () => {
    handler = (req, res) =>
      req.path.endsWith('/web')
        ? json(res, 200, {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'web', namespace: 'prod' },
          })
        : json(res, 404, status(404, 'NotFound', 'deployments.apps "gone" not found'));
    const dep = await api.get<Deployment>(Kinds.Deployment, 'web', 'prod');
    expect(requests[0].method).toBe('GET');
    expect(requests[0].path).toBe('/apis/apps/v1/namespaces/prod/deployments/web');
    expect(dep?.metadata.name).toBe('web');
    await expect(api.get(Kinds.Deployment, 'gone', 'prod')).resolves.toBeUndefined();
  });

  it('creates a cluster-scoped Node with POST and maps AlreadyExists', async () => {
    const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
    handler = (req, res) =>
      json(res, 201, { ...(req.body as object), metadata: { name: 'n1', resourceVersion: '5' } });
    const created = await api.create(Kinds.Node, node);
    expect(requests[0].method).toBe('POST');
    expect(requests[0].path).toBe('/api/v1/nodes');
    expect(requests[0].headers['content-type']).toBe('application/json');
    expect(requests[0].body).toEqual(node);
    expect(created.metadata.resourceVersion).toBe('5');

    handler = (_req, res) => json(res, 409, status(409, 'AlreadyExists', 'nodes "n1" already exists'));
    const err: unknown = await api.create(Kinds.Node, node).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlreadyExistsError);
    expect(isConflict(err)).toBe(false);
    expect((err as ApiError).message).toBe('nodes "n1" already exists');
  });

  it('creates a namespaced pod in its namespace', async () => {
    handler = (req, res) => json(res, 201, req.body);
    await api.create(Kinds.Pod, pod('p1'));
    expect(requests[0].path).toBe('/api/v1/namespaces/default/pods');
  });

  it('updates a CRD with PUT and maps a stale resourceVersion to ConflictError', async () => {
    const nc = {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodeClaim',
      metadata: { name: 'nc-1', resourceVersion: '3' },
      spec: {},
    } as unknown as NodeClaim;
    handler = (req, res) =>
      json(res, 200, { ...(req.body as object), metadata: { name: 'nc-1', resourceVersion: '4' } });
    const updated = await api.update(Kinds.NodeClaim, nc);
    expect(requests[0].method).toBe('PUT');
    expect(requests[0].path).toBe('/apis/karpenter.sh/v1/nodeclaims/nc-1');
    expect(updated.metadata.resourceVersion).toBe('4');

    handler = (_req, res) =>
      json(res, 409, status(409, 'Conflict', 'the object has been modified; please apply your changes'));
    const err: unknown = await api.update(Kinds.NodeClaim, nc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(isConflict(err)).toBe(true);
  });

  it('updates status with PUT to the /status subresource', async () => {
    const np = {
      apiVersion: 'karpenter.sh/v1',
      kind: 'NodePool',
      metadata: { name: 'default' },
    } as unknown as NodePool;
    handler = (req, res) => json(res, 200, req.body);
    await api.updateStatus(Kinds.NodePool, np);
    expect(requests[0].method).toBe('PUT');
    expect(requests[0].path).toBe('/apis/karpenter.sh/v1/nodepools/default/status');
  });

  it('patches with the merge-patch content type', async () => {
    handler = (_req, res) => json(res, 200, { metadata: { name: 'p1', namespace: 'default' }, spec: {} });
    const patch = { metadata: { labels: { a: 'b', gone: null } } };
    const patched = await api.patch(Kinds.Pod, 'p1', patch, 'default');
    expect(requests[0].method).toBe('PATCH');
    expect(requests[0].path).toBe('/api/v1/namespaces/default/pods/p1');
    expect(requests[0].headers['content-type']).toBe('application/merge-patch+json');
    expect(requests[0].body).toEqual(patch);
    expect(patched.kind).toBe('Pod');
  });

  it('deletes with DeleteOptions carrying grace period and preconditions; 404 is NotFoundError', async () => {
    handler = (_req, res) => json(res, 200, { kind: 'Status', status: 'Success' });
    await api.delete(Kinds.NodeClaim, 'nc-1', undefined, { gracePeriodSeconds: 0, resourceVersion: '12' });
    expect(requests[0].method).toBe('DELETE');
    expect(requests[0].path).toBe('/apis/karpenter.sh/v1/nodeclaims/nc-1');
    expect(requests[0].body).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { resourceVersion: '12' },
    });

    await api.delete(Kinds.Pod, 'p1', 'default');
    expect(requests[1].path).toBe('/api/v1/namespaces/default/pods/p1');
    expect(requests[1].body).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions' });

    handler = (_req, res) => json(res, 404, status(404, 'NotFound', 'pods "p2" not found'));
    const err: unknown = await api.delete(Kinds.Pod, 'p2', 'default').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as ApiError).message).toBe('pods "p2" not found');
  });

  it.each([
    [404, 'NotFound', NotFoundError],
    [409, 'Conflict', ConflictError],
    [409, 'AlreadyExists', AlreadyExistsError],
    [410, 'Expired', GoneError],
    [422, 'Invalid', InvalidError],
    [429, 'TooManyRequests', TooManyRequestsError],
  ])('maps %i %s to its ApiError subclass', async (code, reason, cls) => {
    handler = (_req, res) => json(res, code, status(code, reason, `server says ${reason}`));
    const err: unknown = await api.patch(Kinds.Node, 'n1', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err).toMatchObject({ status: code, reason, message: `server says ${reason}` });
  });

  it('maps other statuses to a plain ApiError with the server reason', async () => {
    handler = (_req, res) => json(res, 403, status(403, 'Forbidden', 'nodes is forbidden'));
    const err: unknown = await api.get(Kinds.Node, 'n1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).not.toBeInstanceOf(NotFoundError);
    expect(err).toMatchObject({ status: 403, reason: 'Forbidden', message: 'nodes is forbidden' });
  });

  it('keeps a non-JSON error body as the message', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('bad gateway upstream');
    };
    const err: unknown = await api.get(Kinds.Node, 'n1').catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, reason: 'Bad Gateway' });
    expect((err as Error).message).toContain('bad gateway upstream');
  });
});

describe('a lost answer', () => {
  it('times a request out as a transient ETIMEDOUT instead of waiting forever', async () => {
    const impatient = new ClientNodeApi(testKubeconfig(), 200);
    const pending: ServerResponse[] = [];
    handler = (_req, res) => void pending.push(res);
    const err: unknown = await impatient.get(Kinds.Node, 'n1').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringContaining('no answer within 200 ms'),
    });
    expect(isTransient(err)).toBe(true);
    pending.forEach((res) => res.destroy());
  });
});

describe('evict', () => {
  it('POSTs a policy/v1 Eviction to the pod eviction subresource', async () => {
    handler = (_req, res) => json(res, 201, { kind: 'Status', status: 'Success' });
    await api.evict('p1', 'team-a');
    expect(requests[0].method).toBe('POST');
    expect(requests[0].path).toBe('/api/v1/namespaces/team-a/pods/p1/eviction');
    expect(requests[0].body).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'p1', namespace: 'team-a' },
    });
  });

  it('surfaces a PDB refusal (429) as TooManyRequestsError with the server message', async () => {
    const message = "Cannot evict pod as it would violate the pod's disruption budget.";
    handler = (_req, res) => json(res, 429, status(429, 'TooManyRequests', message));
    const err: unknown = await api.evict('p1', 'team-a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyRequestsError);
    expect((err as ApiError).message).toBe(message);
  });
});

describe('watch', () => {
  /** Starts a chunked watch response and hands the raw response to the test. */
  function streamingHandler(onStart: (res: ServerResponse) => void): Handler {
    return (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      onStart(res);
    };
  }

  it('delivers newline-delimited events in order with plain string timestamps, bookmarks apart', async () => {
    const lines = [
      JSON.stringify({ type: 'ADDED', object: pod('a') }),
      JSON.stringify({
        type: 'BOOKMARK',
        object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '101' } },
      }),
      JSON.stringify({
        type: 'MODIFIED',
        object: pod('a', {
          metadata: { name: 'a', namespace: 'default', deletionTimestamp: '2024-05-01T11:00:00Z' },
        }),
      }),
    ].join('\n');
    handler = streamingHandler((res) => {
      // Split mid-line so the client has to reassemble lines across chunks.
      const cut = 25;
      res.write(lines.slice(0, cut));
      setTimeout(() => res.write(lines.slice(cut) + '\n'), 20);
    });
    const events: WatchEvent<Pod>[] = [];
    const onClose = jest.fn();
    const bookmarks: string[] = [];
    const handle = await api.watch(
      Kinds.Pod,
      { namespace: 'default', resourceVersion: '100', onClose, onBookmark: (rv) => bookmarks.push(rv) },
      (e) => events.push(e),
    );
    await waitFor(() => events.length >= 2);
    await sleep(20);
    handle.stop();

    expect(requests[0].path).toBe('/api/v1/namespaces/default/pods');
    expect(requests[0].query.get('watch')).toBe('true');
    expect(requests[0].query.get('resourceVersion')).toBe('100');
    expect(requests[0].query.get('allowWatchBookmarks')).toBe('true');
    expect(requests[0].headers.authorization).toBe('Bearer abc');
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'a'],
      ['MODIFIED', 'a'],
    ]);
    expect(bookmarks).toEqual(['101']);
    expect(events[0].object.metadata.creationTimestamp).toBe('2024-05-01T10:00:00Z');
    expect(typeof events[1].object.metadata.deletionTimestamp).toBe('string');
    expect(events[1].object.metadata.deletionTimestamp).toBe('2024-05-01T11:00:00Z');
    expect(onClose).not.toHaveBeenCalled();
  });

  it('calls onClose with a GoneError on a 410 ERROR event', async () => {
    handler = streamingHandler((res) => {
      res.write(
        JSON.stringify({
          type: 'ERROR',
          object: status(410, 'Expired', 'too old resource version: 1 (500)'),
        }) + '\n',
      );
    });
    const events: unknown[] = [];
    const closedWith = new Promise<Error | undefined>((resolve) => {
      void api.watch(Kinds.NodeClaim, { resourceVersion: '1', onClose: resolve }, (e) => events.push(e));
    });
    const err = await closedWith;
    expect(err).toBeInstanceOf(GoneError);
    expect(err?.message).toBe('too old resource version: 1 (500)');
    expect(requests[0].path).toBe('/apis/karpenter.sh/v1/nodeclaims');
    expect(events).toHaveLength(0);
    // The client hangs up after the error so the stream does not linger.
    await closed[0];
  });

  it('calls onClose once without an error when the server ends the stream', async () => {
    handler = streamingHandler((res) => {
      res.end(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'n1' } } }) + '\n');
    });
    const events: WatchEvent<Node>[] = [];
    const onClose = jest.fn();
    await api.watch(Kinds.Node, { resourceVersion: '7', onClose }, (e) => events.push(e));
    await waitFor(() => onClose.mock.calls.length > 0);
    await sleep(20);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(onClose.mock.calls[0][0]).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(events[0].object).toMatchObject({ apiVersion: 'v1', kind: 'Node' });
  });

  it('stop() aborts the request and does not call onClose', async () => {
    let serverRes: ServerResponse | undefined;
    handler = streamingHandler((res) => {
      serverRes = res;
      res.write(JSON.stringify({ type: 'ADDED', object: pod('a') }) + '\n');
    });
    const events: unknown[] = [];
    const onClose = jest.fn();
    const handle = await api.watch(Kinds.Pod, { resourceVersion: '1', onClose }, (e) => events.push(e));
    await waitFor(() => events.length === 1);
    handle.stop();
    // Resolves only when the client hangs up: the server never ends this response.
    await closed[0];
    // Whatever the server still manages to send must not reach the callback.
    serverRes?.write(JSON.stringify({ type: 'MODIFIED', object: pod('a') }) + '\n');
    await sleep(50);
    expect(onClose).not.toHaveBeenCalled();
    expect(events).toHaveLength(1);
  });

  it('rejects when the watch cannot start', async () => {
    handler = (_req, res) => json(res, 403, status(403, 'Forbidden', 'no'));
    const onClose = jest.fn();
    await expect(
      api.watch(Kinds.Pod, { resourceVersion: '1', onClose }, () => undefined),
    ).rejects.toMatchObject({
      status: 403,
    });
    expect(onClose).not.toHaveBeenCalled();
  });

  it('ends the watch with the error when the event handler throws', async () => {
    handler = streamingHandler((res) => {
      res.write(JSON.stringify({ type: 'ADDED', object: pod('a') }) + '\n');
    });
    const closedWith = new Promise<Error | undefined>((resolve) => {
      void api.watch(Kinds.Pod, { resourceVersion: '1', onClose: resolve }, () => {
        throw new Error('handler failed');
      });
    });
    await expect(closedWith).resolves.toMatchObject({ message: 'handler failed' });
  });
});

describe('ClientNodeApi.clusterCABundle', () => {
  const kubeconfig = (cluster: string) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: c\n  cluster:\n    server: https://127.0.0.1:6443\n${cluster}`,
      'contexts:\n- name: c\n  context: {cluster: c, user: u}',
      'current-context: c',
      'users:\n- name: u\n  user: {token: t}',
    ].join('\n');

  it("is the kubeconfig's inline CA, or its CA file's content, base64; undefined without one", () => {
    expect(
      ClientNodeApi.fromKubeconfig(kubeconfig('    certificate-authority-data: Q0FEQVRB')).clusterCABundle(),
    ).toBe('Q0FEQVRB');
    const dir = mkdtempSync(join(tmpdir(), 'ca-'));
    writeFileSync(join(dir, 'ca.crt'), 'PEM');
    expect(
      ClientNodeApi.fromKubeconfig(
        kubeconfig(`    certificate-authority: ${join(dir, 'ca.crt')}`),
      ).clusterCABundle(),
    ).toBe(Buffer.from('PEM').toString('base64'));
    expect(
      ClientNodeApi.fromKubeconfig(kubeconfig('    insecure-skip-tls-verify: true')).clusterCABundle(),
    ).toBeUndefined();
  });
});
