/** CapacityBuffer fixtures the unit tests share. */
import { ACTIVE_PROVISIONING_STRATEGY, CAPACITY_BUFFER_API_VERSION } from '../../../sdk/api/capacitybuffer';
import type { CapacityBuffer, ObjectMeta, Pod } from '../../kube/objects';
import { buildVirtualPods } from './virtual-pods';

/** A CapacityBuffer with upstream's default strategy and whatever spec the test gives. */
export function testCapacityBuffer(
  metadata: ObjectMeta,
  spec: Partial<CapacityBuffer['spec']> = {},
): CapacityBuffer {
  return {
    apiVersion: CAPACITY_BUFFER_API_VERSION,
    kind: 'CapacityBuffer',
    metadata,
    spec: { provisioningStrategy: ACTIVE_PROVISIONING_STRATEGY, ...spec },
  } as CapacityBuffer;
}

/** `n` of the buffer's virtual pods, each a one-container pod requesting `cpu`. */
export function cpuVirtualPods(buffer: CapacityBuffer, cpu: string, n: number): Pod[] {
  return buildVirtualPods(
    buffer,
    { spec: { containers: [{ name: 'c', resources: { requests: { cpu } } }] } },
    n,
  );
}
