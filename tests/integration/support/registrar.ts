/**
 * A stand-in for the kubelets of emulated EC2 instances: polls the emulator's DescribeInstances for the cluster's
 * Karpenter instances (tagged `karpenter.sh/nodeclaim`) and registers each running one as a kwok Node, the way an
 * EKS node's kubelet would (providerID `aws:///<zone>/<id>`, named after its private DNS name, kubelet labels,
 * capacity and allocatable of its instance type, the `karpenter.sh/unregistered` taint the AWS provider's kubelet
 * configuration registers with). kwok then marks the Node Ready and runs its pods. A Node whose instance has
 * terminated is deleted, as the cloud node-lifecycle controller would.
 */
import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { Labels, OwnershipTags, Taints } from '../../../sdk/api/well-known';
import { providerIDOf } from '../../../runtime/cloudprovider/aws/instances';
import { KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE } from '../../../runtime/cloudprovider/kwok';
import { isNotFound, type KubeApi } from '../../../runtime/kube/api';
import { Kinds } from '../../../runtime/kube/kinds';
import { nameOf, type Node } from '../../../runtime/kube/objects';
import { stringifyResourceList, toResourceList, type Resources } from '../../../runtime/scheduling/resources';

/** Marks the Nodes a registrar created (value: the cluster name), so it deletes only its own. */
export const REGISTRAR_LABEL = 'karpenter-ts.dev/registrar';

/** What the kubelet reports for an instance type. */
export interface InstanceTypeResources {
  capacity: Resources;
  allocatable: Resources;
}

export interface InstanceRegistrarOptions {
  api: KubeApi;
  /** A client for the emulator (moto). */
  ec2: EC2Client;
  /** Only instances tagged `kubernetes.io/cluster/<clusterName>=owned` are registered. */
  clusterName: string;
  region: string;
  /** Capacity and allocatable of an instance type; undefined: the instance is not registered (yet). */
  resourcesOf: (instanceType: string) => Promise<InstanceTypeResources | undefined>;
  /** @default 500 */
  intervalMs?: number;
  /** Called with each failed poll; the registrar keeps polling. @default ignore */
  onError?: (err: unknown) => void;
}

/** EC2's architecture names → the kubelet's `kubernetes.io/arch`. */
const ARCH: Record<string, string> = { x86_64: 'amd64', arm64: 'arm64' };

/** The Node name of an instance: its private DNS name, as on EKS; the instance ID when it has none. */
export function nodeNameOf(instance: Instance): string {
  return instance.PrivateDnsName || (instance.InstanceId as string);
}

export function providerIDOfInstance(instance: Instance): string {
  return providerIDOf(instance.Placement?.AvailabilityZone ?? '', instance.InstanceId ?? '');
}

/** The Node a kubelet on this instance registers. Karpenter's own labels come later, at registration. */
export function nodeForInstance(
  instance: Instance,
  resources: InstanceTypeResources,
  o: { clusterName: string; region: string },
): Node {
  const name = nodeNameOf(instance);
  const labels: Record<string, string> = {
    [Labels.hostname]: name,
    [Labels.os]: 'linux',
    [Labels.region]: o.region,
    [Labels.zone]: instance.Placement?.AvailabilityZone ?? '',
    [Labels.instanceType]: instance.InstanceType ?? '',
    [REGISTRAR_LABEL]: o.clusterName,
  };
  const arch = ARCH[instance.Architecture ?? ''];
  if (arch) labels[Labels.arch] = arch;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels, annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE } },
    spec: {
      providerID: providerIDOfInstance(instance),
      taints: [{ key: Taints.unregistered.key, effect: Taints.unregistered.effect }],
    },
    status: {
      capacity: stringifyResourceList(toResourceList(resources.capacity)),
      allocatable: stringifyResourceList(toResourceList(resources.allocatable)),
    },
  };
}

export class InstanceRegistrar {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: InstanceRegistrarOptions) {}

  start(): void {
    this.stopped = false;
    const tick = (): void => {
      this.running = this.sync()
        .catch((err: unknown) => this.o.onError?.(err))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs ?? 500);
        });
    };
    tick();
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One poll: register running instances that have no Node, delete Nodes whose instance has terminated. */
  async sync(): Promise<void> {
    const instances = await this.instances();
    const { items: nodes } = await this.o.api.list(Kinds.Node, {
      labelSelector: `${REGISTRAR_LABEL}=${this.o.clusterName}`,
    });
    const registered = new Set(nodes.map((n) => n.spec?.providerID));
    const running = new Set<string>();
    for (const instance of instances) {
      if (instance.State?.Name !== 'running') continue;
      const providerID = providerIDOfInstance(instance);
      running.add(providerID);
      if (registered.has(providerID)) continue;
      const resources = await this.o.resourcesOf(instance.InstanceType ?? '');
      if (!resources) continue;
      await this.o.api.create(Kinds.Node, nodeForInstance(instance, resources, this.o));
    }
    for (const node of nodes) {
      if (running.has(node.spec?.providerID ?? '') || node.metadata.deletionTimestamp) continue;
      await this.o.api.delete(Kinds.Node, nameOf(node)).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }

  /** The cluster's Karpenter instances in every state (terminated ones included, while EC2 still lists them). */
  private async instances(): Promise<Instance[]> {
    const out: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.o.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            { Name: `tag:${OwnershipTags.cluster(this.o.clusterName)}`, Values: ['owned'] },
            { Name: 'tag-key', Values: [OwnershipTags.nodeClaim] },
          ],
          NextToken,
        }),
      );
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
      NextToken = page.NextToken || undefined;
    } while (NextToken);
    return out;
  }
}
