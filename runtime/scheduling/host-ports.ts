/**
 * Host ports: two pods on one node cannot bind the same host port and protocol. Ports are keyed
 * "protocol/port" (the host IP is not modelled: every pod binds all addresses, the common case).
 */
import type { Pod } from '../kube/objects';

export function hostPorts(pod: Pod): string[] {
  const out: string[] = [];
  // No copies of the container lists: this runs for every pod on every node of every simulation.
  for (const containers of [pod.spec.containers, pod.spec.initContainers]) {
    for (const c of containers ?? []) {
      for (const p of c.ports ?? []) if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
    }
  }
  return out;
}

/** The first of the pod's host ports already taken, if any. */
export function hostPortConflict(pod: Pod, used: ReadonlySet<string>): string | undefined {
  return hostPorts(pod).find((p) => used.has(p));
}

export function usedHostPorts(pods: Pod[]): Set<string> {
  const used = new Set<string>();
  for (const pod of pods) for (const port of hostPorts(pod)) used.add(port);
  return used;
}
