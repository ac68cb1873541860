/**
 * The EventBridge rules that feed the interruption queue, one per event kind the controller handles. The
 * detail-type strings come from the controller's own parser, so the rules match exactly what it acts on: a
 * misspelt detail-type is accepted by EventBridge and simply never matches (a known IaC add-on ships such a rule).
 */
import {
  DetailTypes,
  EventSources,
  type ActionableKind,
} from '../../runtime/cloudprovider/interruption/messages';

export interface InterruptionRule {
  /** Short, stable name used for the Pulumi resources. */
  id: string;
  kind: ActionableKind;
  source: string;
  detailType: string;
}

function rule(id: string, kind: ActionableKind, source: string): InterruptionRule {
  return { id, kind, source, detailType: DetailTypes[kind] };
}

export const INTERRUPTION_RULES: readonly InterruptionRule[] = [
  rule('scheduled-change', 'scheduledChange', EventSources.health),
  rule('spot-interruption', 'spotInterruption', EventSources.ec2),
  rule('rebalance', 'rebalanceRecommendation', EventSources.ec2),
  rule('instance-state-change', 'stateChange', EventSources.ec2),
  rule('capacity-reservation-interruption', 'capacityReservationInterruption', EventSources.ec2),
];

export interface EventPattern {
  source: string[];
  'detail-type': string[];
}

export function eventPattern(r: InterruptionRule): EventPattern {
  return { source: [r.source], 'detail-type': [r.detailType] };
}
