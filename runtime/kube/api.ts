/**
 * The Kubernetes seam. Controllers talk to a cluster only through `KubeApi`; two implementations exist:
 * `MemoryApiServer` (embedded simulator, fast tests) and `ClientNodeApi` (@kubernetes/client-node, real clusters).
 * The semantics both must keep are the API server's: monotonic resourceVersion, optimistic concurrency on
 * update, deletion that only marks objects holding finalizers, and evictions that respect PodDisruptionBudgets.
 */
import type { ResourceKind } from './kinds';
import type { KubeObject } from './objects';

export interface ListOptions {
  namespace?: string;
  /** Equality-based label selector in the API's string form: "a=b,c=d". */
  labelSelector?: string;
  /**
   * Field selector in the API's string form: "involvedObject.name=n,reason=r". Only the fields the API server
   * indexes for the kind (metadata.name and metadata.namespace everywhere; for Events also involvedObject.*,
   * reason, type, source).
   */
  fieldSelector?: string;
}

export interface ListResult<T extends KubeObject> {
  items: T[];
  /** The collection's resourceVersion: start a watch here to miss nothing. */
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchHandle {
  stop(): void;
}

export interface WatchOptions {
  namespace?: string;
  resourceVersion: string;
  /** Called when the watch ends for any reason other than stop(): 410 Gone, a dropped connection. */
  onClose?: (err?: Error) => void;
  /** A BOOKMARK event: the collection has reached this resourceVersion (servers that send none need not). */
  onBookmark?: (resourceVersion: string) => void;
}

/** A JSON merge patch (RFC 7386): null deletes a field. */
export type MergePatch = Record<string, unknown>;

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  /** Only delete if the object still has this resourceVersion. */
  resourceVersion?: string;
}

export interface KubeApi {
  list<T extends KubeObject>(kind: ResourceKind<T>, opts?: ListOptions): Promise<ListResult<T>>;
  get<T extends KubeObject>(kind: ResourceKind<T>, name: string, namespace?: string): Promise<T | undefined>;
  create<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T>;
  /** Replace an object; fails with a ConflictError when obj.metadata.resourceVersion is stale. */
  update<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T>;
  /** Replace the status subresource. */
  updateStatus<T extends KubeObject>(kind: ResourceKind<T>, obj: T): Promise<T>;
  patch<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    patch: MergePatch,
    namespace?: string,
  ): Promise<T>;
  /** Delete: objects with finalizers are only marked (deletionTimestamp) until their finalizers are removed. */
  delete<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
    opts?: DeleteOptions,
  ): Promise<void>;
  /** POST to pods/eviction; throws TooManyRequestsError when a PodDisruptionBudget forbids it. */
  evict(name: string, namespace: string): Promise<void>;
  watch<T extends KubeObject>(
    kind: ResourceKind<T>,
    opts: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle>;
  /** The server's Kubernetes version, "major.minor" (GET /version): picks AMIs built for it. */
  serverVersion?(): Promise<string>;
  /** The CA (base64 PEM) this client trusts for the server, when it has one: nodes are told to trust it too. */
  clusterCABundle?(): string | undefined;
}

/** "major.minor" from a /version body: `{"major":"1","minor":"34+", ...}` gives "1.34". */
export function minorVersion(body: { major?: string; minor?: string }): string {
  const major = (body.major ?? '').replace(/\D+$/, '');
  const minor = (body.minor ?? '').replace(/\D+$/, '');
  if (!/^\d+$/.test(major) || !/^\d+$/.test(minor)) {
    throw new Error(`unexpected /version answer ${JSON.stringify(body)}: expected numeric major and minor`);
  }
  return `${major}.${minor}`;
}

/** An API error with its HTTP status, as the API server reports it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class NotFoundError extends ApiError {
  constructor(message: string) {
    super(404, 'NotFound', message);
  }
}
export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, 'Conflict', message);
  }
}
export class AlreadyExistsError extends ApiError {
  constructor(message: string) {
    super(409, 'AlreadyExists', message);
  }
}
export class TooManyRequestsError extends ApiError {
  constructor(message: string) {
    super(429, 'TooManyRequests', message);
  }
}
export class GoneError extends ApiError {
  constructor(message: string) {
    super(410, 'Expired', message);
  }
}
export class InvalidError extends ApiError {
  constructor(message: string) {
    super(422, 'Invalid', message);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409 && err.reason === 'AlreadyExists';
}
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409 && err.reason === 'Conflict';
}

/** Errors worth retrying as they are: throttling, server errors and dropped connections (ECONNRESET, ...). */
export function isTransient(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 429 || err.status >= 500;
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN)$/.test(code);
}
