/**
 * AMIs for an EC2NodeClass. An alias (`al2023@latest`, `bottlerocket@v1.39.1`, `al2@v20250101`) is read from the
 * public SSM parameters EKS and Bottlerocket publish, one per architecture; other terms (id, tags, name + owner,
 * ssmParameter) go through DescribeImages. Newest images come first.
 */
import { DescribeImagesCommand, type EC2Client, type Filter, type Image } from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { parseAmiAlias } from '../../../sdk/api/ec2nodeclass';
import { AmiAliasFamilies, Labels, type AmiFamily } from '../../../sdk/api/well-known';
import type { EC2NodeClass } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { awsCall, awsErrorCode, CloudProviderError } from './errors';
import { tagFilters } from './selectors';

/** Kubernetes arch label → the EC2 architecture name used in SSM paths and DescribeImages. */
export const EC2_ARCH: Record<string, string> = { amd64: 'x86_64', arm64: 'arm64' };
const KUBE_ARCH: Record<string, string> = { x86_64: 'amd64', arm64: 'arm64' };

export interface ResolvedAmi {
  id: string;
  name?: string;
  /** Kubernetes arch label value: amd64 | arm64. */
  arch: string;
  creationDate?: string;
  deprecated?: boolean;
}

/** The SSM parameter holding the AMI id for an alias family/version, Kubernetes minor and kube arch. */
export function aliasParameterName(family: AmiFamily, version: string, k8s: string, arch: string): string {
  const a = EC2_ARCH[arch] as string;
  const latest = version === 'latest';
  switch (family) {
    case 'AL2023':
      return latest
        ? `/aws/service/eks/optimized-ami/${k8s}/amazon-linux-2023/${a}/standard/recommended/image_id`
        : `/aws/service/eks/optimized-ami/${k8s}/amazon-linux-2023/${a}/standard/amazon-eks-node-al2023-${a}-standard-${k8s}-${version}/image_id`;
    case 'Bottlerocket':
      return `/aws/service/bottlerocket/aws-k8s-${k8s}/${a}/${latest ? 'latest' : version.replace(/^v/, '')}/image_id`;
    case 'AL2': {
      const line = arch === 'arm64' ? 'amazon-linux-2-arm64' : 'amazon-linux-2';
      const release =
        arch === 'arm64' ? `amazon-eks-arm64-node-${k8s}-${version}` : `amazon-eks-node-${k8s}-${version}`;
      return `/aws/service/eks/optimized-ami/${k8s}/${line}/${latest ? 'recommended' : release}/image_id`;
    }
    default:
      throw new CloudProviderError(
        'InvalidParameter',
        'ssm:GetParameter',
        `AMI alias family ${family} is not supported by this provider: use al2023, bottlerocket or al2, or select AMIs by id, tags or name`,
      );
  }
}

async function getParameter(ssm: SSMClient, name: string): Promise<string | undefined> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name }));
    return out.Parameter?.Value;
  } catch (err) {
    if (awsErrorCode(err) === 'ParameterNotFound') return undefined;
    throw err;
  }
}

function fromImage(img: Image, arch?: string): ResolvedAmi | undefined {
  const a = arch ?? KUBE_ARCH[img.Architecture ?? ''];
  if (!img.ImageId || !a) return undefined;
  return {
    id: img.ImageId,
    arch: a,
    ...(img.Name ? { name: img.Name } : {}),
    ...(img.CreationDate ? { creationDate: img.CreationDate } : {}),
    ...(img.DeprecationTime && Date.parse(img.DeprecationTime) < Date.now() ? { deprecated: true } : {}),
  };
}

async function describeImages(
  ec2: EC2Client,
  input: { Filters?: Filter[]; ImageIds?: string[]; Owners?: string[] },
) {
  const out = await awsCall('ec2:DescribeImages', () => ec2.send(new DescribeImagesCommand(input)));
  return out.Images ?? [];
}

export async function resolveAmis(
  ec2: EC2Client,
  ssm: SSMClient,
  nodeClass: EC2NodeClass,
  kubernetesVersion: string,
): Promise<ResolvedAmi[]> {
  const found = new Map<string, ResolvedAmi>();
  for (const term of nodeClass.spec.amiSelectorTerms) {
    if (term.alias) {
      const parsed = parseAmiAlias(term.alias);
      const family = AmiAliasFamilies[parsed?.family ?? ''];
      if (!parsed || !family) continue;
      const ids = new Map<string, string>();
      for (const arch of ['amd64', 'arm64']) {
        const name = aliasParameterName(family, parsed.version, kubernetesVersion, arch);
        const id = await awsCall('ssm:GetParameter', () => getParameter(ssm, name));
        if (id) ids.set(id, arch);
      }
      if (ids.size === 0) continue;
      const images = await describeImages(ec2, { ImageIds: [...ids.keys()] });
      for (const [id, arch] of ids) {
        const img = images.find((i) => i.ImageId === id);
        found.set(id, fromImage(img ?? { ImageId: id }, arch) as ResolvedAmi);
      }
      continue;
    }
    if (term.ssmParameter) {
      const id = await awsCall('ssm:GetParameter', () => getParameter(ssm, term.ssmParameter as string));
      if (!id) continue;
      for (const img of await describeImages(ec2, { ImageIds: [id] })) {
        const ami = fromImage(img);
        if (ami) found.set(ami.id, ami);
      }
      continue;
    }
    const filters = tagFilters(term.tags);
    if (term.id) filters.push({ Name: 'image-id', Values: [term.id] });
    if (term.name) filters.push({ Name: 'name', Values: [term.name] });
    // Like upstream: a name without an owner only matches your own or Amazon's images.
    const owners = term.owner ? [term.owner] : term.name && !term.id ? ['self', 'amazon'] : undefined;
    for (const img of await describeImages(ec2, {
      Filters: filters,
      ...(owners ? { Owners: owners } : {}),
    })) {
      const ami = fromImage(img);
      if (ami) found.set(ami.id, ami);
    }
  }
  return [...found.values()].sort(
    (a, b) =>
      Number(a.deprecated ?? false) - Number(b.deprecated ?? false) ||
      (b.creationDate ?? '').localeCompare(a.creationDate ?? '') ||
      a.id.localeCompare(b.id),
  );
}

/** The newest usable AMI per kube arch. */
export function amiPerArch(amis: ResolvedAmi[]): Map<string, ResolvedAmi> {
  const out = new Map<string, ResolvedAmi>();
  for (const a of amis) if (!out.has(a.arch)) out.set(a.arch, a);
  return out;
}

/** The AMI an instance type boots: the first of `amiPerArch` whose arch the type allows (any, without an arch label). */
export function amiForInstanceType(
  amis: Map<string, ResolvedAmi>,
  it: InstanceType,
): ResolvedAmi | undefined {
  return [...amis.values()].find((a) => it.requirements.get(Labels.arch)?.has(a.arch) ?? true);
}
