/**
 * Wires the controllers together over the two seams (KubeApi, CloudProvider) and a Clock. The same Operator runs
 * in a real cluster (client-node + AWS, wall clock) and in the embedded simulator (in-memory API + simulated
 * cloud, simulated clock).
 */
import type { Clock } from './clock/clock';
import type { CloudProvider } from './cloudprovider/types';
import { DisruptionController } from './controllers/disruption/controller';
import { ExpirationController } from './controllers/expiration/expiration';
import { NodeClaimLifecycle } from './controllers/nodeclaim/lifecycle';
import { Provisioner } from './controllers/provisioning/provisioner';
import { TerminationController } from './controllers/termination/termination';
import { EventRecorder } from './events/recorder';
import type { KubeApi } from './kube/api';
import type { Logger } from './logging';
import { ClusterState } from './state/cluster-state';

export interface OperatorSettings {
  /** @default 1000 */
  batchIdleMs?: number;
  /** @default 10000 */
  batchMaxMs?: number;
}

export interface OperatorOptions {
  api: KubeApi;
  cloud: CloudProvider;
  clock: Clock;
  logger: Logger;
  settings?: OperatorSettings;
}

export class Operator {
  readonly state: ClusterState;
  readonly recorder: EventRecorder;
  readonly provisioner: Provisioner;
  readonly lifecycle: NodeClaimLifecycle;
  readonly termination: TerminationController;
  readonly disruption: DisruptionController;
  readonly expiration: ExpirationController;

  constructor(opts: OperatorOptions) {
    const { api, cloud, clock, logger } = opts;
    const onError = (err: unknown) => logger.warn({ err }, 'api error');
    this.state = new ClusterState(api, clock, onError);
    this.recorder = new EventRecorder(api, clock, onError);
    const common = { api, cloud, clock, state: this.state, recorder: this.recorder, logger };
    this.provisioner = new Provisioner({
      ...common,
      ...(opts.settings?.batchIdleMs !== undefined ? { idleMs: opts.settings.batchIdleMs } : {}),
      ...(opts.settings?.batchMaxMs !== undefined ? { maxMs: opts.settings.batchMaxMs } : {}),
    });
    this.lifecycle = new NodeClaimLifecycle(common);
    this.termination = new TerminationController(common);
    this.expiration = new ExpirationController(common);
    this.disruption = new DisruptionController({
      ...common,
      provisioningBusy: () => this.provisioner.busy || this.provisioner.hasUndecidedPods(),
    });
  }

  async start(): Promise<void> {
    await this.state.start();
    this.lifecycle.start();
    this.termination.start();
    this.expiration.start();
    this.provisioner.start();
    this.disruption.start();
  }

  stop(): void {
    this.disruption.stop();
    this.provisioner.stop();
    this.termination.stop();
    this.expiration.stop();
    this.lifecycle.stop();
    this.state.stop();
  }

  /** Nothing queued or in progress in any controller. */
  get idle(): boolean {
    return (
      !this.provisioner.busy &&
      !this.disruption.busy &&
      this.lifecycle.queue.depth === 0 &&
      this.termination.queue.depth === 0
    );
  }
}
