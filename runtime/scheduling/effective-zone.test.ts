import type { Pod } from '../kube/objects';
import { schedule } from './scheduler';
import { instanceTypes, node, nodePool, pod, schedulingPool, volumeClaim, zonalVolume } from './testing';
import { volumeLookup, volumeTopologyResolver } from './volume-topology';

const ZONE = 'topology.kubernetes.io/zone';
const pool = schedulingPool(
  nodePool('default', {
    requirements: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }],
  }),
  instanceTypes(['m5.large']),
);

function zonesOf(pods: Pod[], opts: { nodes?: Parameters<typeof schedule>[0]['nodes'] } = {}) {
  const result = schedule({ pods, nodes: opts.nodes ?? [], nodePools: [pool], effectiveZones: true });
  return Object.fromEntries(result.pendingByZone ?? []);
}

describe('pending pods by effective zone', () => {
  it('names the one zone a pod may go to, "flexible" for several, and "none" for none', () => {
    expect(
      zonesOf([
        pod('pinned', { nodeSelector: { [ZONE]: 'us-east-1a' } }),
        pod('two', {
          affinityTerms: [[{ key: ZONE, operator: 'In', values: ['us-east-1a', 'us-east-1b'] }]],
        }),
        pod('free'),
        pod('contradiction', {
          affinityTerms: [
            [
              { key: ZONE, operator: 'In', values: ['us-east-1a'] },
              { key: ZONE, operator: 'NotIn', values: ['us-east-1a'] },
            ],
          ],
        }),
      ]),
    ).toEqual({ 'us-east-1a': 1, flexible: 2, none: 1 });
  });

  it('narrows the zones a pod allows by its topology spread, from what already runs', () => {
    const running = {
      ...pod('running'),
      metadata: { name: 'running', namespace: 'default', labels: { app: 'a' } },
    };
    const spreadPod = pod('spread', {
      affinityTerms: [[{ key: ZONE, operator: 'In', values: ['us-east-1a', 'us-east-1b'] }]],
    });
    spreadPod.metadata.labels = { app: 'a' };
    spreadPod.spec.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: ZONE,
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { app: 'a' } },
      },
    ];
    const existing = { ...node('n1', { labels: { [ZONE]: 'us-east-1a' } }), pods: [running] };
    expect(zonesOf([spreadPod], { nodes: [existing] })).toEqual({ 'us-east-1b': 1 });
  });

  it('leaves out (and counts as ignored) pods whose volumes cannot be resolved; zonal volumes narrow', () => {
    const lookup = volumeLookup({
      claims: [
        volumeClaim('dangling', { volumeName: 'pv-gone' }),
        volumeClaim('bound', { volumeName: 'pv-b' }),
      ],
      volumes: [zonalVolume('pv-b', 'us-east-1b')],
    });
    const withClaim = (name: string, claimName: string): Pod => {
      const p = pod(name);
      p.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName } }];
      return p;
    };
    const result = schedule({
      pods: [withClaim('lost', 'dangling'), withClaim('zonal', 'bound')],
      nodes: [],
      nodePools: [pool],
      volumeTopology: volumeTopologyResolver(lookup),
      effectiveZones: true,
    });
    expect(result.ignored).toBe(1);
    expect(Object.fromEntries(result.pendingByZone ?? [])).toEqual({ 'us-east-1b': 1 });
  });
});
