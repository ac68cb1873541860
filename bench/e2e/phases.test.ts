import type { Node, NodeClaim, Pod } from '../../runtime/kube/objects';
import { startupPhases } from './phases';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const cond = (type: string, s: number) => ({ type, status: 'True', lastTransitionTime: at(s) });

function pod(name: string, createdS: number, node: string, boundS: number, readyS: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bench', creationTimestamp: at(createdS) },
    spec: { nodeName: node, containers: [] },
    status: { phase: 'Running', conditions: [cond('PodScheduled', boundS), cond('Ready', readyS)] },
  } as Pod;
}

function node(name: string, createdS: number, readyS: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, creationTimestamp: at(createdS) },
    status: { conditions: [cond('Ready', readyS)] },
  } as Node;
}

function claim(nodeName: string, createdS: number, initializedS: number): NodeClaim {
  return {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodeClaim',
    metadata: { name: `claim-${nodeName}`, creationTimestamp: at(createdS) },
    spec: {},
    status: { nodeName, conditions: [cond('Initialized', initializedS)] },
  } as unknown as NodeClaim;
}

describe('startupPhases', () => {
  it('splits the startup of pods that waited for a new node into medians per phase', () => {
    const phases = startupPhases(
      [
        // created at 0, planned at 4 (claim), launched 5, Ready 7, initialized 8, bound 10, Ready 11
        pod('a', 0, 'n1', 10, 11),
        pod('b', 2, 'n1', 10, 12),
        pod('c', 1, 'n1', 12, 13),
        // on a node launched before it: found room, not counted
        pod('late', 30, 'n1', 31, 32),
      ],
      [node('n1', 5, 7)],
      [claim('n1', 4, 8)],
    );
    expect(phases).toEqual({ plan: 3, launch: 1, 'node ready': 2, initialized: 1, bound: 2, running: 1 });
  });

  it('is undefined when no pod waited for a node (or the objects lack the conditions)', () => {
    expect(
      startupPhases([pod('a', 9, 'n1', 10, 11)], [node('n1', 5, 7)], [claim('n1', 4, 8)]),
    ).toBeUndefined();
    const noReady = { ...node('n1', 5, 7), status: {} } as Node;
    expect(startupPhases([pod('a', 0, 'n1', 10, 11)], [noReady], [claim('n1', 4, 8)])).toBeUndefined();
  });
});
