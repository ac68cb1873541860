/** What every controller is built from: the two seams, the shared cluster view, time, events and logs. */
import type { Clock } from '../clock/clock';
import type { CloudProvider } from '../cloudprovider/types';
import type { EventRecorder } from '../events/recorder';
import type { KubeApi } from '../kube/api';
import type { Logger } from '../logging';
import type { ClusterState } from '../state/cluster-state';
import { queueMetrics } from '../metrics/workqueue';
import { WorkQueue, type Reconciler } from './work-queue';

export interface ControllerContext {
  api: KubeApi;
  cloud: CloudProvider;
  state: ClusterState;
  clock: Clock;
  recorder: EventRecorder;
  logger: Logger;
}

/**
 * A controller's reconcile queue: failures are logged with the controller's name and the key, and its work is in
 * the `workqueue_*` and `controller_runtime_*` metrics under that name.
 */
export function reconcileQueue(name: string, ctx: ControllerContext, reconcile: Reconciler): WorkQueue {
  return new WorkQueue(
    name,
    ctx.clock,
    reconcile,
    (controller, key, err) => ctx.logger.error({ err, controller, key }, 'reconcile failed'),
    queueMetrics(name),
  );
}
