/**
 * A cloud whose instances are kwok Nodes, as Karpenter's kwok provider does: launching a NodeClaim creates a Node
 * (annotated for kwok, providerID kwok://<name>) with the capacity of an instance type from the simulated EC2
 * catalog; kwok marks it Ready and runs the pods bound to it. Deleting the claim deletes the Node. It needs a real
 * API server with kwok running next to it (scripts/cluster-up.sh), and is what the integration tests use.
 */
import { Labels } from '../../../sdk/api/well-known';
import type { Clock } from '../../clock/clock';
import { isNotFound, type KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { nameOf, type Node, type NodeClaim, type NodePool } from '../../kube/objects';
import type { Logger } from '../../logging';
import { Requirements } from '../../scheduling/requirements';
import { fromResourceList } from '../../scheduling/resources';
import { nodeClassVolumesHourlyPrice } from '../aws/ebs-pricing';
import { DEFAULT_CAPACITY_SETTINGS, type CapacitySettings } from '../../scheduling/allocatable';
import {
  assertCatalogServes,
  specsFor,
  defaultCatalog,
  nodeClassShape,
  toInstanceType,
  type Catalog,
} from '../simulated/catalog';
import {
  InsufficientCapacityError,
  NodeClaimNotFoundError,
  type CloudProvider,
  type DriftReason,
  type RepairPolicy,
  type OverlayInstanceTypes,
} from '../types';
import type { InstanceType } from '../../scheduling/instance-types';
import {
  KWOK_PROVIDER_LABEL,
  chooseOffering,
  claimFromNode,
  kwokNodeFor,
  launchLabels,
  launchedClaim,
  nodeNameOf,
} from './kwok-node';

export interface KwokCloudProviderOptions {
  api: KubeApi;
  clock: Clock;
  logger: Logger;
  /** The instance types on sale. @default the simulated EC2 catalog (runtime/cloudprovider/simulated/catalog.ts) */
  catalog?: Catalog;
  /** VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS. @default upstream's (DEFAULT_CAPACITY_SETTINGS) */
  capacity?: CapacitySettings;
}

const KWOK_REPAIR_POLICIES: readonly RepairPolicy[] = [
  {
    conditionType: 'Ready',
    conditionStatus: 'False',
    tolerationMs: 10 * 60_000,
    terminationGracePeriodMs: 0,
  },
  {
    conditionType: 'Ready',
    conditionStatus: 'Unknown',
    tolerationMs: 10 * 60_000,
    terminationGracePeriodMs: 0,
  },
];

export class KwokCloudProvider implements CloudProvider {
  readonly name = 'kwok';
  readonly catalog: Catalog;
  readonly capacity: CapacitySettings;
  private readonly instanceTypeCache = new Map<string, InstanceType[]>();

  constructor(private readonly opts: KwokCloudProviderOptions) {
    this.catalog = opts.catalog ?? defaultCatalog;
    this.capacity = opts.capacity ?? DEFAULT_CAPACITY_SETTINGS;
  }

  async getInstanceTypes(nodePool: NodePool): Promise<InstanceType[]> {
    // The node class only matters for its kubelet settings and AMI family (capacity, allocatable), and for the
    // settings the catalog cannot serve; kwok nodes need no class of their own.
    const nodeClass = await this.opts.api.get(
      Kinds.EC2NodeClass,
      nodePool.spec.template.spec.nodeClassRef.name,
    );
    assertCatalogServes(nodeClass, this.name);
    const shape = nodeClassShape(nodeClass);
    const nitroOnly = nodeClass?.spec.connectionTracking !== undefined;
    const key = JSON.stringify([shape.kubelet ?? null, shape.amiFamily ?? null, nitroOnly]);
    let types = this.instanceTypeCache.get(key);
    if (!types) {
      types = specsFor(this.catalog.specs, nodeClass).map((spec) =>
        toInstanceType(spec, this.catalog.region, shape, this.capacity),
      );
      this.instanceTypeCache.set(key, types);
    }
    return types;
  }

  /**
   * Upstream's kwok provider's: Ready false or unknown for 10 min, replaced without a drain (a kwok node runs
   * nothing that could be drained).
   */
  repairPolicies(): readonly RepairPolicy[] {
    return KWOK_REPAIR_POLICIES;
  }

  async nodeOverheadPrice(nodePool: NodePool): Promise<number> {
    const nodeClass = await this.opts.api.get(
      Kinds.EC2NodeClass,
      nodePool.spec.template.spec.nodeClassRef.name,
    );
    return nodeClass ? nodeClassVolumesHourlyPrice(nodeClass) : 0;
  }

  /** NodeOverlays to choose launches by (NodeOverlay gate). */
  private overlays: OverlayInstanceTypes | undefined;

  useNodeOverlays(apply: OverlayInstanceTypes): void {
    this.overlays = apply;
  }

  async create(nodeClaim: NodeClaim): Promise<NodeClaim> {
    const name = nameOf(nodeClaim);
    const nodePoolName = nodeClaim.metadata.labels?.[Labels.nodePool] ?? '';
    const nodePool = await this.opts.api.get(Kinds.NodePool, nodePoolName);
    if (!nodePool) throw new Error(`NodeClaim ${name}: NodePool "${nodePoolName}" not found`);
    const own = await this.getInstanceTypes(nodePool);
    const choice = chooseOffering(
      this.overlays ? this.overlays(nodePoolName, own) : own,
      Requirements.fromSelectors(nodeClaim.spec.requirements),
      fromResourceList(nodeClaim.spec.resources?.requests),
    );
    if (!choice) throw new InsufficientCapacityError(`no instance type fits NodeClaim ${name}`);
    const launched = launchedClaim(nodeClaim, launchLabels(this.catalog, nodeClaim, choice), choice);
    try {
      await this.opts.api.create(Kinds.Node, kwokNodeFor(launched));
    } catch (err) {
      // A retried launch (the status update after a first create failed) finds its node already there; the
      // choice is deterministic, so the launched claim describes that node too.
      const existing = await this.opts.api.get(Kinds.Node, name);
      if (existing?.spec?.providerID === launched.status?.providerID) return launched;
      throw err;
    }
    this.opts.logger.debug(
      { nodeClaim: name, instanceType: choice.instanceType.name, zone: choice.offering.zone },
      'created kwok node',
    );
    return launched;
  }

  async delete(nodeClaim: NodeClaim): Promise<void> {
    const node = await this.instanceNode(nodeClaim.status?.providerID ?? '');
    try {
      await this.opts.api.delete(Kinds.Node, nameOf(node));
    } catch (err) {
      if (isNotFound(err)) throw new NodeClaimNotFoundError(`node ${node.metadata.name} not found`);
      throw err;
    }
  }

  async get(providerID: string): Promise<NodeClaim> {
    return claimFromNode(await this.instanceNode(providerID));
  }

  async list(): Promise<NodeClaim[]> {
    const { items } = await this.opts.api.list(Kinds.Node, { labelSelector: `${KWOK_PROVIDER_LABEL}=true` });
    return items.filter((n) => !n.metadata.deletionTimestamp).map(claimFromNode);
  }

  async isDrifted(nodeClaim: NodeClaim): Promise<DriftReason> {
    const type = nodeClaim.metadata.labels?.[Labels.instanceType];
    if (type && !this.catalog.specs.some((s) => s.name === type)) return 'InstanceTypeNotFound';
    return undefined;
  }

  /**
   * The Node standing for an instance. A Node being deleted counts as gone: the instance was terminated, and only
   * the termination finalizer keeps the object until the controller releases it.
   */
  private async instanceNode(providerID: string): Promise<Node> {
    const name = nodeNameOf(providerID);
    const node = name ? await this.opts.api.get(Kinds.Node, name) : undefined;
    if (!node || node.spec?.providerID !== providerID || node.metadata.deletionTimestamp) {
      throw new NodeClaimNotFoundError(`instance ${providerID || '(none)'} not found`);
    }
    return node;
  }
}
