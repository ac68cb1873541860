/**
 * The simulated cloud's kubelets: a launched instance joins the cluster as a Node the way an EKS node's kubelet
 * would (labels, capacity, allocatable, providerID, the unregistered and startup taints, NotReady then Ready), and a
 * test can set a Node condition as a failing kubelet or the EKS node monitoring agent would (node repair).
 */
import { Labels, Taints } from '../../../sdk/api/well-known';
import type { Clock } from '../../clock/clock';
import type { KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import type { Node, NodeClaim, Taint } from '../../kube/objects';
import { stringifyResourceList } from '../../scheduling/resources';
import type { SimulatedInstance } from './simulated-cloud';

export class SimulatedKubelet {
  constructor(
    private readonly api: KubeApi,
    private readonly clock: Clock,
    private readonly readyDelayMs: number,
  ) {}

  /** The kubelet joins the cluster: create the Node, then report Ready a little later. */
  async join(instance: SimulatedInstance, launched: NodeClaim): Promise<void> {
    if (instance.state === 'terminated') return;
    instance.state = 'running';
    const taints: Taint[] = [
      { key: Taints.unregistered.key, effect: Taints.unregistered.effect },
      ...(launched.spec.taints ?? []),
      ...(launched.spec.startupTaints ?? []),
    ];
    const node: Node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: instance.id,
        labels: { ...launched.metadata.labels, [Labels.hostname]: instance.id },
      },
      spec: { providerID: instance.providerID, taints },
      status: {
        capacity: stringifyResourceList(launched.status?.capacity),
        allocatable: stringifyResourceList(launched.status?.allocatable),
        conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }],
      },
    };
    delete node.metadata.labels?.[Labels.registered];
    delete node.metadata.labels?.[Labels.initialized];
    await this.api.create(Kinds.Node, node);
    this.clock.setTimer(this.readyDelayMs, () => {
      this.markReady(instance).catch(() => undefined);
    });
  }

  /**
   * Make a node unhealthy (or healthy again), as a failing kubelet or the EKS node monitoring agent would: set one
   * of its conditions, its transition time now when the status changes.
   */
  async setNodeCondition(
    nodeName: string,
    type: string,
    status: 'True' | 'False' | 'Unknown',
    reason = '',
  ): Promise<void> {
    const node = await this.api.get(Kinds.Node, nodeName);
    if (!node) throw new Error(`no Node ${nodeName}`);
    const conditions = node.status?.conditions ?? [];
    const prior = conditions.find((c) => c.type === type);
    const lastTransitionTime =
      prior?.status === status && prior.lastTransitionTime
        ? prior.lastTransitionTime
        : new Date(this.clock.now()).toISOString();
    node.status = {
      ...node.status,
      conditions: [
        ...conditions.filter((c) => c.type !== type),
        { type, status, reason, lastTransitionTime },
      ],
    };
    await this.api.updateStatus(Kinds.Node, node);
  }

  private async markReady(instance: SimulatedInstance): Promise<void> {
    if (instance.state === 'terminated') return;
    const node = await this.api.get(Kinds.Node, instance.id);
    if (!node) return;
    node.status = { ...node.status, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] };
    await this.api.updateStatus(Kinds.Node, node);
  }
}
