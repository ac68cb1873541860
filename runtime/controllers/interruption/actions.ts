/**
 * What to do about an interruption message, decided from the message and the cluster's NodeClaims and Nodes alone
 * (pure). Every kind but a rebalance recommendation deletes the NodeClaim, so the termination controller drains
 * the node while the instance still runs; a spot interruption also marks its offering unavailable, so the
 * replacement is planned elsewhere. Event reasons are Karpenter's, so alerts written for it keep matching.
 */
import { CapacityType, Labels } from '../../../sdk/api/well-known';
import type { Node, NodeClaim } from '../../kube/objects';
import { instanceIdOf, type ActionableMessage } from '../../cloudprovider/interruption/messages';

export const InterruptionReasons = {
  spotInterrupted: 'SpotInterrupted',
  rebalanceRecommendation: 'SpotRebalanceRecommendation',
  instanceStopping: 'InstanceStopping',
  instanceTerminating: 'InstanceTerminating',
  instanceUnhealthy: 'InstanceUnhealthy',
  capacityReservationInterrupted: 'CapacityReservationInstanceInterrupted',
  terminatingOnInterruption: 'TerminatingOnInterruption',
} as const;

export interface InterruptionEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface UnavailableOffering {
  instanceType: string;
  zone: string;
  capacityType: CapacityType;
}

export interface InterruptionAction {
  instanceId: string;
  nodeClaim: NodeClaim;
  /** The Node registered for the claim, if any: it gets the same events. */
  node?: Node;
  /** Recorded on the NodeClaim and the Node. */
  event: InterruptionEvent;
  /** Delete the NodeClaim (termination then taints, drains and terminates). False when already deleting. */
  deleteNodeClaim: boolean;
  markUnavailable?: UnavailableOffering;
}

/** One action per NodeClaim the message names; instances that are not ours are skipped. */
export function actionsFor(
  message: ActionableMessage,
  nodeClaims: readonly NodeClaim[],
  nodes: readonly Node[],
): InterruptionAction[] {
  const claimsById = byInstanceId(nodeClaims, (c) => c.status?.providerID);
  const nodesById = byInstanceId(nodes, (n) => n.spec?.providerID);
  const actions: InterruptionAction[] = [];
  for (const instanceId of new Set(message.instanceIds)) {
    const nodeClaim = claimsById.get(instanceId);
    if (!nodeClaim) continue;
    const node = nodesById.get(instanceId);
    const drain = message.kind !== 'rebalanceRecommendation';
    const offering = message.kind === 'spotInterruption' ? spotOfferingOf(nodeClaim) : undefined;
    actions.push({
      instanceId,
      nodeClaim,
      ...(node ? { node } : {}),
      event: eventFor(message),
      deleteNodeClaim: drain && !nodeClaim.metadata.deletionTimestamp,
      ...(offering ? { markUnavailable: offering } : {}),
    });
  }
  return actions;
}

function byInstanceId<T>(objs: readonly T[], providerID: (o: T) => string | undefined): Map<string, T> {
  const out = new Map<string, T>();
  for (const o of objs) {
    const id = instanceIdOf(providerID(o));
    if (id) out.set(id, o);
  }
  return out;
}

/** The interrupted claim's spot offering, from the labels the cloud provider stamped at launch. */
function spotOfferingOf(nodeClaim: NodeClaim): UnavailableOffering | undefined {
  const labels = nodeClaim.metadata.labels ?? {};
  const instanceType = labels[Labels.instanceType];
  const zone = labels[Labels.zone];
  if (!instanceType || !zone) return undefined;
  return { instanceType, zone, capacityType: CapacityType.spot };
}

export function eventFor(message: ActionableMessage): InterruptionEvent {
  switch (message.kind) {
    case 'spotInterruption':
      return {
        type: 'Warning',
        reason: InterruptionReasons.spotInterrupted,
        message: `Spot interruption warning received (instance-action ${message.instanceAction ?? 'unknown'})`,
      };
    case 'rebalanceRecommendation':
      return {
        type: 'Normal',
        reason: InterruptionReasons.rebalanceRecommendation,
        message: 'Spot rebalance recommendation received: the instance is at elevated risk of interruption',
      };
    case 'stateChange':
      return message.state === 'stopping' || message.state === 'stopped'
        ? {
            type: 'Warning',
            reason: InterruptionReasons.instanceStopping,
            message: `Instance is ${message.state}`,
          }
        : {
            type: 'Warning',
            reason: InterruptionReasons.instanceTerminating,
            message: `Instance is ${message.state}`,
          };
    case 'scheduledChange':
      return {
        type: 'Warning',
        reason: InterruptionReasons.instanceUnhealthy,
        message: `AWS Health scheduled a change for the instance (${message.eventTypeCode ?? 'no event type code'})`,
      };
    case 'capacityReservationInterruption':
      return {
        type: 'Warning',
        reason: InterruptionReasons.capacityReservationInterrupted,
        message: `Capacity reservation interruption warning received (instance-action ${message.instanceAction ?? 'unknown'})`,
      };
  }
}
