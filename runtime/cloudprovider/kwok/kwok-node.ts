/**
 * Pure pieces of the kwok cloud provider: pick the offering a NodeClaim launches on, describe the Node that stands
 * for the "instance", and read a NodeClaim back from such a Node. In kwok mode the Node object is the instance:
 * kwok (the fake kubelet) marks it Ready and runs the pods the kube-scheduler binds to it.
 */
import { Labels, Taints } from '../../../sdk/api/well-known';
import { nameOf, type Node, type NodeClaim, type Taint } from '../../kube/objects';
import type { Requirements } from '../../scheduling/requirements';
import { fits, stringifyResourceList, type Resources } from '../../scheduling/resources';
import {
  compatibleOfferings,
  instanceTypeCompatible,
  type InstanceType,
  type Offering,
} from '../../scheduling/instance-types';
import { specLabels, type Catalog } from '../simulated/catalog';
import { launchedResources } from '../aws/network-interfaces';

/** kwok manages Nodes carrying this annotation (kwokctl's `--manage-nodes-with-annotation-selector`). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
export const KWOK_NODE_ANNOTATION_VALUE = 'fake';
/** Marks the Nodes this provider created, so list() finds its instances and nothing else. */
export const KWOK_PROVIDER_LABEL = 'karpenter-ts.sh/kwok-provider';
export const KWOK_PROVIDER_ID_PREFIX = 'kwok://';

export interface LaunchChoice {
  instanceType: InstanceType;
  offering: Offering;
}

/** The cheapest available offering, over every instance type the claim allows and its requests fit. */
export function chooseOffering(
  types: readonly InstanceType[],
  reqs: Requirements,
  requests: Resources,
): LaunchChoice | undefined {
  let choice: LaunchChoice | undefined;
  for (const it of types) {
    if (!instanceTypeCompatible(it, reqs) || !fits(requests, it.allocatable)) continue;
    for (const o of compatibleOfferings(it, reqs)) {
      if (!choice || o.price < choice.offering.price) choice = { instanceType: it, offering: o };
    }
  }
  return choice;
}

export function providerIdFor(nodeName: string): string {
  return `${KWOK_PROVIDER_ID_PREFIX}${nodeName}`;
}

export function nodeNameOf(providerID: string): string | undefined {
  return providerID.startsWith(KWOK_PROVIDER_ID_PREFIX)
    ? providerID.slice(KWOK_PROVIDER_ID_PREFIX.length)
    : undefined;
}

/** The labels a node launched on this choice carries: instance-type labels, zone, capacity type, pool. */
export function launchLabels(
  catalog: Catalog,
  claim: NodeClaim,
  choice: LaunchChoice,
): Record<string, string> {
  const spec = catalog.specs.find((s) => s.name === choice.instanceType.name);
  return {
    ...(spec ? specLabels(spec, catalog.region) : {}),
    [Labels.zone]: choice.offering.zone,
    [Labels.capacityType]: choice.offering.capacityType,
    [Labels.nodePool]: claim.metadata.labels?.[Labels.nodePool] ?? '',
  };
}

/** The claim as launched: its labels and status (providerID, capacity, allocatable), as the lifecycle expects. */
export function launchedClaim(
  claim: NodeClaim,
  labels: Record<string, string>,
  choice: LaunchChoice,
): NodeClaim {
  const out = structuredClone(claim);
  out.metadata.labels = { ...out.metadata.labels, ...labels };
  out.status = {
    ...out.status,
    providerID: providerIdFor(nameOf(claim)),
    imageID: 'kwok',
    ...launchedResources(choice.instanceType, claim, undefined),
  };
  return out;
}

/**
 * The Node a kubelet would register for the launched claim: named after the claim, annotated for kwok, with the
 * claim's taints and startup taints and the unregistered taint the lifecycle lifts. No Ready condition: kwok's
 * node-initialize stage sets it, and the lifecycle waits for that.
 */
export function kwokNodeFor(launched: NodeClaim): Node {
  const name = nameOf(launched);
  const taints: Taint[] = [
    { key: Taints.unregistered.key, effect: Taints.unregistered.effect },
    ...(launched.spec.taints ?? []),
    ...(launched.spec.startupTaints ?? []),
  ];
  const labels: Record<string, string> = {
    ...launched.metadata.labels,
    [Labels.hostname]: name,
    [KWOK_PROVIDER_LABEL]: 'true',
  };
  // The lifecycle stamps these once the node has registered and initialized.
  delete labels[Labels.registered];
  delete labels[Labels.initialized];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels,
      annotations: { [KWOK_NODE_ANNOTATION]: KWOK_NODE_ANNOTATION_VALUE },
    },
    spec: { providerID: launched.status?.providerID as string, taints },
    status: {
      capacity: stringifyResourceList(launched.status?.capacity),
      allocatable: stringifyResourceList(launched.status?.allocatable),
    },
  };
}

/** What get/list report for an instance: the claim's name, its launch labels and providerID. */
export function claimFromNode(node: Node): NodeClaim {
  const labels = { ...node.metadata.labels };
  delete labels[KWOK_PROVIDER_LABEL];
  delete labels[Labels.hostname];
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: nameOf(node), labels },
    spec: {
      requirements: [],
      nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: '' },
      expireAfter: 'Never',
    },
    status: { providerID: node.spec?.providerID as string },
  };
}
