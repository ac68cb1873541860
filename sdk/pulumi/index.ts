/**
 * Typed Pulumi resources for Karpenter objects. A separate entry point from sdk/index.ts on purpose: loading
 * @pulumi/pulumi takes seconds and tens of MB, which the controller (a user of sdk/index.ts) must not pay.
 */
export { NodePool, type NodePoolArgs, type NodePoolSpecArgs } from './node-pool';
export { EC2NodeClass, type EC2NodeClassArgs, type EC2NodeClassSpecArgs } from './ec2-node-class';
export type { DeepInput } from './inputs';
export { NodeOverlay, type NodeOverlayArgs, type NodeOverlaySpecArgs } from './node-overlay';
export { CapacityBuffer, type CapacityBufferArgs, type CapacityBufferSpecArgs } from './capacity-buffer';
