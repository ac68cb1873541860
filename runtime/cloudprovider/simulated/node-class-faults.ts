/**
 * Node classes the simulated cloud cannot serve, as a misconfigured EC2NodeClass fails on EC2 (a missing instance
 * profile refuses every launch; broken user data boots instances whose kubelet never joins). Scenario tests break a
 * node class here and repair it when they "fix" its spec.
 */
import type { NodePool } from '../../kube/objects';
import type { CloudProviderError } from '../types';

export type NodeClassFault =
  /** Every launch from the node class fails with this error. */
  | { kind: 'launch'; error: CloudProviderError }
  /** Instances launch, but their Node never registers. */
  | { kind: 'register' };

export class NodeClassFaults {
  private readonly faults = new Map<string, NodeClassFault>();

  break(nodeClassName: string, fault: NodeClassFault): void {
    this.faults.set(nodeClassName, fault);
  }

  repair(nodeClassName: string): void {
    this.faults.delete(nodeClassName);
  }

  /** The fault of the node class a NodePool launches from, if it is broken. */
  of(nodePool: NodePool): NodeClassFault | undefined {
    return this.faults.get(nodePool.spec.template.spec.nodeClassRef.name);
  }
}
