/**
 * A KubeApi that fails a share of the calls made through it, as a profile says: 409 conflicts, 500s, 429s,
 * timeouts (not applied), and lost responses (applied by the server, then the answer lost); watches that drop or
 * end with 410 Gone. Errors look like the real client's, so the controller's handling is what gets tested.
 */
import {
  ApiError,
  ConflictError,
  GoneError,
  TooManyRequestsError,
  type KubeApi,
  type WatchHandle,
} from '../../kube/api';
import type { ResourceKind } from '../../kube/kinds';
import type { KubeObject } from '../../kube/objects';
import type { ApiFault, ApiVerb, FaultProfile } from './profile';
import type { FaultLog } from './fault-log';
import type { Random } from '../prng';

/** A network failure as Node reports it (ETIMEDOUT, ECONNRESET): the informer and controllers retry these. */
export class NetworkError extends Error {
  constructor(
    readonly code: 'ETIMEDOUT' | 'ECONNRESET',
    message: string,
  ) {
    super(message);
    this.name = 'NetworkError';
  }
}

export function pick<F extends string>(rng: Random, rates: Partial<Record<F, number>>): F | undefined {
  let roll = rng();
  for (const [fault, rate] of Object.entries(rates) as [F, number][]) {
    if (roll < rate) return fault;
    roll -= rate;
  }
  return undefined;
}

function errorFor(fault: Exclude<ApiFault, 'lostResponse'>, what: string): Error {
  switch (fault) {
    case 'conflict':
      return new ConflictError(
        `injected: ${what}: the object has been modified; please apply your changes to the latest version`,
      );
    case 'serverError':
      return new ApiError(500, 'InternalError', `injected: ${what}: an error on the server`);
    case 'throttle':
      return new TooManyRequestsError(`injected: ${what}: the server is receiving too many requests`);
    case 'timeout':
      return new NetworkError('ETIMEDOUT', `injected: ${what}: request timed out`);
  }
}

export function faultyKubeApi(inner: KubeApi, profile: FaultProfile, rng: Random, log: FaultLog): KubeApi {
  const kinds = profile.kinds ? new Set(profile.kinds) : undefined;
  async function call<R>(verb: ApiVerb, kind: string, what: string, run: () => Promise<R>): Promise<R> {
    const fault = log.open && (!kinds || kinds.has(kind)) ? pick(rng, profile.api[verb]) : undefined;
    if (!fault) return run();
    log.count(`api.${verb}.${fault}`);
    if (fault !== 'lostResponse') throw errorFor(fault, what);
    await run();
    throw new NetworkError('ECONNRESET', `injected: ${what}: connection reset after the request was sent`);
  }
  const name = (kind: ResourceKind, n?: string) => `${kind.kind} ${n ?? ''}`.trim();
  const api: KubeApi = {
    list: (kind, opts) => call('list', kind.kind, `list ${kind.kind}`, () => inner.list(kind, opts)),
    get: (kind, n, ns) => call('get', kind.kind, `get ${name(kind, n)}`, () => inner.get(kind, n, ns)),
    create: <T extends KubeObject>(kind: ResourceKind<T>, obj: T) =>
      call('create', kind.kind, `create ${name(kind, obj.metadata.name)}`, () => inner.create(kind, obj)),
    update: (kind, obj) =>
      call('update', kind.kind, `update ${name(kind, obj.metadata.name)}`, () => inner.update(kind, obj)),
    updateStatus: (kind, obj) =>
      call('updateStatus', kind.kind, `update status of ${name(kind, obj.metadata.name)}`, () =>
        inner.updateStatus(kind, obj),
      ),
    patch: (kind, n, patch, ns) =>
      call('patch', kind.kind, `patch ${name(kind, n)}`, () => inner.patch(kind, n, patch, ns)),
    delete: (kind, n, ns, opts) =>
      call('delete', kind.kind, `delete ${name(kind, n)}`, () => inner.delete(kind, n, ns, opts)),
    evict: (n, ns) => call('evict', 'Pod', `evict Pod ${ns}/${n}`, () => inner.evict(n, ns)),
    async watch(kind, opts, onEvent): Promise<WatchHandle> {
      const faulty = !kinds || kinds.has(kind.kind);
      if (faulty && log.open && rng() < profile.watch.gone) {
        log.count('watch.gone');
        throw new GoneError(
          `injected: watch ${kind.kind}: too old resource version: ${opts.resourceVersion}`,
        );
      }
      let closed = false;
      // Set once the inner watch answers; a drop queued before that stops it through here.
      const ref: { handle?: WatchHandle } = {};
      ref.handle = await inner.watch(kind, opts, (event) => {
        if (closed) return;
        onEvent(event);
        if (faulty && log.open && rng() < profile.watch.drop) {
          log.count('watch.drop');
          closed = true;
          // Outside the delivery, as a real connection drops between events.
          queueMicrotask(() => {
            ref.handle?.stop();
            opts.onClose?.(
              new NetworkError('ECONNRESET', `injected: watch ${kind.kind}: connection dropped`),
            );
          });
        }
      });
      return {
        stop: () => {
          closed = true;
          ref.handle?.stop();
        },
      };
    },
  };
  if (inner.serverVersion) {
    const serverVersion = inner.serverVersion.bind(inner);
    api.serverVersion = () => serverVersion();
  }
  return api;
}
