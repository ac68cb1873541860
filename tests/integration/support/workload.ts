/**
 * The objects an integration run creates, named after the run so runs never share anything: a NodePool and
 * EC2NodeClass from the lab's, and a pause Deployment pinned to the run's pool.
 */
import type { Deployment, EC2NodeClass, NodePool } from '../../../runtime/kube/objects';
import { loadLabManifests } from '../../../runtime/lab/seed-lab';

/** Pods select the pool by this template label, so nothing else in the cluster lands on its nodes. */
export const POOL_LABEL = 'karpenter-ts.dev/integration';
/** 700m: two fit on a t3a.medium (1780m allocatable with the lab node class), three do not. */
export const POD_CPU = '700m';

/** The lab's NodePool as `run`, consolidating at once, labelling its nodes for the run's pods. */
export function runNodePool(run: string): NodePool {
  const pool = structuredClone(loadLabManifests().nodePool[0]) as NodePool;
  pool.metadata = { name: run };
  pool.spec.template.metadata = { labels: { [POOL_LABEL]: run } };
  pool.spec.template.spec.nodeClassRef.name = run;
  pool.spec.disruption = { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: '0s' } as never;
  return pool;
}

/** The lab's EC2NodeClass as `run`. */
export function runNodeClass(run: string): EC2NodeClass {
  const nc = structuredClone(loadLabManifests().nodeClass[0]) as EC2NodeClass;
  nc.metadata = { name: run };
  return nc;
}

/** `replicas` pause pods of POD_CPU each, in `namespace`, only on the run's pool. */
export function runDeployment(run: string, namespace: string, app: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: {
          nodeSelector: { [POOL_LABEL]: run },
          terminationGracePeriodSeconds: 0,
          containers: [
            { name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: POD_CPU } } },
          ],
        },
      },
    },
  } as Deployment;
}
