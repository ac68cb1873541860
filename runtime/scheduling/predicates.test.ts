import { isDaemonSetPod, podKey, podRequirementAlternatives } from './pod-requirements';
import { podFitsNode, type NodeView } from './predicates';
import { podRequests } from './resources';
import { GiB, node, pod, type PodOptions } from './testing';

const zone = 'topology.kubernetes.io/zone';

function view(opts: Partial<NodeView> = {}): NodeView {
  return {
    ...node('n1', { labels: { [zone]: 'us-east-1a', team: 'a' } }),
    ...opts,
  };
}

function fit(opts: PodOptions, n: NodeView = view()): string | undefined {
  const p = pod('p', opts);
  return podFitsNode(p, podRequests(p), n);
}

describe('podFitsNode', () => {
  it('fits a matching pod within the free resources', () => {
    expect(fit({ cpu: '2', nodeSelector: { team: 'a' } })).toBeUndefined();
    expect(fit({ cpu: '1' }, view({ requested: { cpu: 1000, pods: 1 } }))).toBeUndefined();
  });

  it('reports an untolerated NoSchedule/NoExecute taint by name', () => {
    const tainted = view({ taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    expect(fit({}, tainted)).toBe('node n1 has untolerated taint dedicated=gpu:NoSchedule');
    expect(fit({ tolerations: [{ key: 'dedicated', operator: 'Exists' }] }, tainted)).toBeUndefined();
    const noExecute = view({ taints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] });
    expect(fit({}, noExecute)).toBe('node n1 has untolerated taint karpenter.sh/unregistered:NoExecute');
  });

  it('ignores PreferNoSchedule taints', () => {
    expect(fit({}, view({ taints: [{ key: 'spot', effect: 'PreferNoSchedule' }] }))).toBeUndefined();
  });

  it('reports a nodeSelector mismatch, including a label the node lacks', () => {
    expect(fit({ nodeSelector: { team: 'b' } })).toBe(
      "node n1 does not match the pod's node selector or affinity",
    );
    expect(fit({ nodeSelector: { 'workload-type': 'developers-workshop' } })).toBe(
      "node n1 does not match the pod's node selector or affinity",
    );
  });

  it('needs one of the OR’ed required affinity terms to match, each combined with the nodeSelector', () => {
    const terms = [
      [{ key: zone, operator: 'In' as const, values: ['us-east-1b'] }],
      [{ key: zone, operator: 'In' as const, values: ['us-east-1a', 'us-east-1c'] }],
    ];
    expect(fit({ affinityTerms: terms })).toBeUndefined();
    expect(fit({ affinityTerms: [terms[0] ?? []] })).toBe(
      "node n1 does not match the pod's node selector or affinity",
    );
    // The matching term still has to agree with the nodeSelector.
    expect(fit({ affinityTerms: terms, nodeSelector: { team: 'b' } })).toBe(
      "node n1 does not match the pod's node selector or affinity",
    );
    expect(fit({ affinityTerms: [[{ key: 'gpu', operator: 'DoesNotExist' }]] })).toBeUndefined();
  });

  it('reports every exceeded resource, counting what is already requested', () => {
    expect(fit({ cpu: '2001m' })).toBe('node n1 has insufficient cpu');
    expect(fit({ cpu: '1', memory: '8Gi' }, view({ requested: { cpu: 1500, memory: GiB } }))).toBe(
      'node n1 has insufficient cpu, memory',
    );
    expect(fit({}, view({ requested: { pods: 110 } }))).toBe('node n1 has insufficient pods');
    expect(fit({ requests: { 'nvidia.com/gpu': '1' } })).toBe('node n1 has insufficient nvidia.com/gpu');
  });

  it('checks taints before the selector, and the selector before resources', () => {
    const n = view({ taints: [{ key: 'dedicated', effect: 'NoSchedule' }] });
    expect(fit({ cpu: '100', nodeSelector: { team: 'b' } }, n)).toBe(
      'node n1 has untolerated taint dedicated:NoSchedule',
    );
    expect(fit({ cpu: '100', nodeSelector: { team: 'b' } })).toBe(
      "node n1 does not match the pod's node selector or affinity",
    );
  });
});

describe('pod requirements', () => {
  it('a pod without affinity has one alternative: its nodeSelector', () => {
    const alts = podRequirementAlternatives(pod('p', { nodeSelector: { team: 'a' } }));
    expect(alts.map((a) => a.toString())).toEqual(['team In [a]']);
    expect(podRequirementAlternatives(pod('p')).map((a) => a.toString())).toEqual(['']);
  });

  it('each required affinity term becomes an alternative that includes the nodeSelector', () => {
    const alts = podRequirementAlternatives(
      pod('p', {
        nodeSelector: { team: 'a' },
        affinityTerms: [
          [{ key: zone, operator: 'In', values: ['us-east-1a'] }],
          [
            { key: zone, operator: 'NotIn', values: ['us-east-1a'] },
            { key: 'team', operator: 'In', values: ['a', 'b'] },
          ],
        ],
      }),
    );
    expect(alts.map((a) => a.toString())).toEqual([
      `team In [a], ${zone} In [us-east-1a]`,
      `team In [a], ${zone} NotIn [us-east-1a]`,
    ]);
  });

  it('recognises DaemonSet pods by owner and keys pods by namespace/name', () => {
    expect(isDaemonSetPod(pod('ds', { ownerKind: 'DaemonSet' }))).toBe(true);
    expect(isDaemonSetPod(pod('rs', { ownerKind: 'ReplicaSet' }))).toBe(false);
    expect(isDaemonSetPod(pod('bare'))).toBe(false);
    expect(podKey(pod('p', { namespace: 'my-cool-app' }))).toBe('my-cool-app/p');
  });
});
