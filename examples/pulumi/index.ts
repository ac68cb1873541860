/** `pulumi up` entry of the lab example (Pulumi.yaml here). */
import { labProgram } from './lab';

const lab = labProgram({ seedNodePools: true });

export const clusterName = lab.cluster.clusterName;
export const kubeconfig = lab.cluster.kubeconfig;
export const driftPreview = lab.cluster.install.driftPreview;
