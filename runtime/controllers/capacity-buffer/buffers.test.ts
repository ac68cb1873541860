import type { CapacityBuffer, PodTemplate, PodTemplateObject } from '../../kube/objects';
import {
  bufferReplicas,
  isReadyForProvisioning,
  limitReplicas,
  percentageReplicas,
  resolveBuffer,
  resolvedStatus,
  type BufferLookups,
} from './buffers';
import { testCapacityBuffer } from './testing';

const template = (cpu = '500m', memory = '1Gi'): PodTemplate => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', resources: { requests: { cpu, memory } } }] },
});

function buffer(spec: Partial<CapacityBuffer['spec']>, status?: CapacityBuffer['status']): CapacityBuffer {
  const b = testCapacityBuffer({ name: 'b', namespace: 'team', uid: 'u1', generation: 3 }, spec);
  return status ? { ...b, status } : b;
}

const podTemplate: PodTemplateObject = {
  apiVersion: 'v1',
  kind: 'PodTemplate',
  metadata: { name: 'chunk', namespace: 'team', generation: 7 },
  template: template('1', '2Gi'),
};

const lookups: BufferLookups = {
  podTemplate: (name, ns) => (name === 'chunk' && ns === 'team' ? podTemplate : undefined),
  scalable: (kind, name, ns) =>
    kind === 'Deployment' && name === 'web' && ns === 'team'
      ? { template: template(), replicas: 10 }
      : undefined,
};

describe('resolveBuffer', () => {
  it('resolves a PodTemplate and a Deployment in the buffer’s namespace', () => {
    expect(resolveBuffer(buffer({ podTemplateRef: { name: 'chunk' }, replicas: 1 }), lookups)).toEqual({
      ok: true,
      template: podTemplate.template,
      podTemplate: { name: 'chunk', generation: 7 },
    });
    expect(resolveBuffer(buffer({ scalableRef: { kind: 'Deployment', name: 'web' } }), lookups)).toEqual({
      ok: true,
      template: template(),
      scalableReplicas: 10,
    });
  });

  it('gives upstream’s reasons when it cannot, with the fix', () => {
    expect(resolveBuffer(buffer({ podTemplateRef: { name: 'gone' }, replicas: 1 }), lookups)).toMatchObject({
      ok: false,
      reason: 'PodTemplateNotFound',
      message: expect.stringMatching(/^PodTemplate "gone" not found in namespace "team": create it/),
    });
    expect(
      resolveBuffer(buffer({ scalableRef: { kind: 'StatefulSet', name: 'web' } }), lookups),
    ).toMatchObject({
      ok: false,
      reason: 'ScalableRefNotFound',
    });
    expect(resolveBuffer(buffer({ scalableRef: { kind: 'CronJob', name: 'web' } }), lookups)).toMatchObject({
      ok: false,
      reason: 'ResolutionFailed',
      message: expect.stringContaining('unsupported scalableRef CronJob'),
    });
    expect(
      resolveBuffer(
        buffer({ scalableRef: { apiGroup: 'example.com', kind: 'Deployment', name: 'web' } }),
        lookups,
      ),
    ).toMatchObject({ ok: false, reason: 'ResolutionFailed' });
    expect(resolveBuffer(buffer({}), lookups)).toMatchObject({
      ok: false,
      reason: 'ResolutionFailed',
      message: expect.stringMatching(/^Neither podTemplateRef nor scalableRef is set/),
    });
  });
});

describe('replicas', () => {
  it('percentage rounds up, at least one chunk of a running workload', () => {
    expect(percentageReplicas(10, 20)).toBe(2);
    expect(percentageReplicas(10, 25)).toBe(3);
    expect(percentageReplicas(3, 1)).toBe(1);
    expect(percentageReplicas(0, 50)).toBe(0);
    expect(percentageReplicas(10, 0)).toBe(0);
  });

  it('limits: the least of floor(limit / request) over the resources the chunk requests', () => {
    expect(limitReplicas({ cpu: '2', memory: '10Gi' }, template('500m', '1Gi'))).toBe(4);
    expect(limitReplicas({ cpu: '10', memory: '3Gi' }, template('500m', '1Gi'))).toBe(3);
    // A limit on a resource the chunk does not request constrains nothing.
    expect(limitReplicas({ 'nvidia.com/gpu': '2' }, template())).toBeUndefined();
    expect(limitReplicas({ cpu: '100m' }, template('500m'))).toBe(0);
  });

  it('combines replicas and percentage by the larger, with limits as an upper bound or alone', () => {
    const resolved = { ok: true as const, template: template('500m', '1Gi'), scalableReplicas: 10 };
    expect(bufferReplicas(buffer({ replicas: 1, percentage: 50 }), resolved)).toBe(5);
    expect(bufferReplicas(buffer({ replicas: 7, percentage: 50 }), resolved)).toBe(7);
    expect(bufferReplicas(buffer({ replicas: 7, limits: { cpu: '2' } }), resolved)).toBe(4);
    expect(bufferReplicas(buffer({ limits: { cpu: '3' } }), resolved)).toBe(6);
    expect(bufferReplicas(buffer({}), resolved)).toBe(0);
    // Percentage of a workload at zero replicas asks for nothing.
    expect(bufferReplicas(buffer({ percentage: 50 }), { ...resolved, scalableReplicas: 0 })).toBe(0);
  });
});

describe('resolvedStatus', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('is ReadyForProvisioning with the replicas and the template it used', () => {
    const b = buffer({ podTemplateRef: { name: 'chunk' }, replicas: 2 });
    const status = resolvedStatus(b, resolveBuffer(b, lookups), now);
    expect(status).toMatchObject({
      replicas: 2,
      podTemplateRef: { name: 'chunk' },
      podTemplateGeneration: 7,
      provisioningStrategy: 'buffer.x-k8s.io/active-capacity',
    });
    expect(status.conditions).toEqual([
      {
        type: 'ReadyForProvisioning',
        status: 'True',
        reason: 'Resolved',
        message: 'Pod template resolved successfully',
        lastTransitionTime: '2026-01-01T00:00:00.000Z',
        observedGeneration: 3,
      },
    ]);
    expect(isReadyForProvisioning(status)).toBe(true);
  });

  it('keeps the last replicas when resolution fails, and is not ready', () => {
    const b = buffer({ scalableRef: { kind: 'Deployment', name: 'gone' } }, { replicas: 4 });
    const status = resolvedStatus(b, resolveBuffer(b, lookups), now);
    expect(status.replicas).toBe(4);
    expect(status.conditions?.[0]).toMatchObject({ status: 'False', reason: 'ScalableRefNotFound' });
    expect(isReadyForProvisioning(status)).toBe(false);
  });

  it('drops the template reference when the buffer moves to a scalableRef; zero replicas is not ready', () => {
    const b = buffer(
      { scalableRef: { kind: 'Deployment', name: 'web' }, replicas: 0 },
      {
        podTemplateRef: { name: 'chunk' },
        podTemplateGeneration: 7,
      },
    );
    const status = resolvedStatus(b, resolveBuffer(b, lookups), now);
    expect(status.podTemplateRef).toBeUndefined();
    expect(status.podTemplateGeneration).toBeUndefined();
    expect(isReadyForProvisioning(status)).toBe(false);
  });
});
