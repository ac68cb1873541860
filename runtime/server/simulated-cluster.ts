/**
 * A cluster for `karpenter-ts controller --simulated-cluster`: the in-memory API server with the simulator's
 * kube-scheduler, kubelet and workload controllers, on the wall clock. Demos and the bundle test run the real
 * controller process against it without any cluster.
 */
import type { Clock } from '../clock/clock';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import type { KubeObject } from '../kube/objects';
import type { Logger } from '../logging';
import { validateObject } from '../manifests';
import { SimKubeScheduler } from '../simulator/kube-scheduler';
import { SimKubelet } from '../simulator/kubelet';
import { kindOf } from '../simulator/simulation';
import { SimWorkloadControllers } from '../simulator/workloads';

export interface SimulatedClusterOptions {
  clock: Clock;
  logger: Logger;
  /** Objects to create at start (a NodePool, its node class, workloads). @default [] */
  objects?: KubeObject[];
}

export class SimulatedCluster {
  readonly api: MemoryApiServer;
  private readonly scheduler: SimKubeScheduler;
  private readonly kubelet: SimKubelet;
  private readonly workloads: SimWorkloadControllers;

  constructor(private readonly opts: SimulatedClusterOptions) {
    const { clock, logger } = opts;
    this.api = new MemoryApiServer({ clock, admission: [(_kind, obj) => void validateObject(obj)] });
    const onError = (err: unknown, where: string) => logger.warn({ err, where }, 'simulated cluster error');
    this.scheduler = new SimKubeScheduler({ api: this.api, clock, onError });
    this.kubelet = new SimKubelet({ api: this.api, clock, onError });
    this.workloads = new SimWorkloadControllers({ api: this.api, clock, onError });
  }

  async start(): Promise<void> {
    await Promise.all([this.scheduler.start(), this.kubelet.start(), this.workloads.start()]);
    for (const obj of this.opts.objects ?? []) await this.api.create(kindOf(obj), validateObject(obj));
  }

  stop(): void {
    this.scheduler.stop();
    this.kubelet.stop();
    this.workloads.stop();
  }
}
