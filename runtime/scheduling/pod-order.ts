/**
 * The order the scheduler packs pods in: a CapacityBuffer's virtual pods after every real pod (they have the
 * lowest priority: real pods take the room first, and headroom is what is left), then CPU descending, memory
 * descending and name, as Karpenter packs them.
 */
import { CapacityBufferAnnotations } from '../../sdk/api/capacitybuffer';
import type { Pod } from '../kube/objects';
import { podKey } from './pod-requirements';
import { compareText } from './priced-options';
import { podRequests, type Resources } from './resources';

/** A CapacityBuffer's placeholder pod: planned for, never written, evented or counted. */
export function isVirtualPod(pod: Pod): boolean {
  return pod.metadata.annotations?.[CapacityBufferAnnotations.fakePod] === 'true';
}

export function sortPodsForPacking(pods: Pod[], requestsOf: (pod: Pod) => Resources = podRequests): Pod[] {
  const withReq = pods.map((pod) => ({
    pod,
    req: requestsOf(pod),
    key: podKey(pod),
    last: isVirtualPod(pod),
  }));
  withReq.sort(
    (a, b) =>
      Number(a.last) - Number(b.last) ||
      (b.req.cpu ?? 0) - (a.req.cpu ?? 0) ||
      (b.req.memory ?? 0) - (a.req.memory ?? 0) ||
      compareText(a.key, b.key),
  );
  return withReq.map((x) => x.pod);
}
