/** What the disruption controller is built with (./controller.ts). */
import type { ShiftedZones } from '../../cloudprovider/zonal-shift';
import type { Pod } from '../../kube/objects';
import type { Resources } from '../../scheduling/resources';
import type { MinValuesPolicy, PreferencePolicy } from '../../scheduling/scheduler';
import type { ControllerContext } from '../context';
import type { ConsolidationOptions } from './methods';

export interface DisruptionOptions extends ControllerContext {
  /** Provisioning has a batch open, a round running, or pods it has yet to decide on. */
  provisioningBusy: () => boolean;
  /** Anti-churn settings for replacements. */
  consolidation?: ConsolidationOptions;
  /** As for provisioning, so replacements are planned the way a launch would be. @default "Strict" */
  minValuesPolicy?: MinValuesPolicy;
  /** As for provisioning. @default "Respect" */
  preferencePolicy?: PreferencePolicy;
  /** As for provisioning: USD/hour added to every node's price. @default 0 */
  perNodeCost?: number;
  /** As for provisioning: the cluster-wide caps replacements must stay within. @default none */
  clusterCaps?: Resources;
  /** ENABLE_ZONAL_SHIFT: the zones under a zonal shift, whose nodes drift (ZonalShift). @default none */
  shiftedZones?: ShiftedZones;
  /** The CapacityBuffers' virtual pods, whose room is kept (see headroom.ts). @default none */
  virtualPods?: () => Pod[];
  /** The TerminateFirstDrift gate (see terminate-first.ts). @default false, as upstream */
  terminateFirstDrift?: boolean;
}
