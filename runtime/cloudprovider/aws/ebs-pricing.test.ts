import { nodeClassVolumesHourlyPrice, rootVolumeHourlyPrice, volumesHourlyPrice } from './ebs-pricing';

describe('EBS volume prices', () => {
  it('prices gp3 per GB-month over 730 hours, with IOPS and throughput above the included amounts', () => {
    expect(rootVolumeHourlyPrice({ volumeType: 'gp3', sizeGiB: 20 })).toBeCloseTo((20 * 0.08) / 730, 9);
    const fast = rootVolumeHourlyPrice({ volumeType: 'gp3', sizeGiB: 20, iops: 4000, throughput: 225 });
    expect(fast).toBeCloseTo((20 * 0.08 + 1000 * 0.005 + 100 * 0.04) / 730, 9);
  });

  it('charges every provisioned IOPS on io1/io2 and none on gp2', () => {
    expect(rootVolumeHourlyPrice({ volumeType: 'io2', sizeGiB: 100, iops: 1000 })).toBeCloseTo(
      (100 * 0.125 + 1000 * 0.065) / 730,
      9,
    );
    expect(rootVolumeHourlyPrice({ volumeType: 'gp2', sizeGiB: 100, iops: 300 })).toBeCloseTo(10 / 730, 9);
  });

  it('sums a node class’s mappings, parsing sizes as quantities and skipping mappings without a size', () => {
    const price = volumesHourlyPrice([
      { deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '20Gi', volumeType: 'gp3' } },
      { deviceName: '/dev/xvdb', ebs: { volumeSize: '100Gi', volumeType: 'st1' } },
      { deviceName: '/dev/xvdc', ebs: { snapshotID: 'snap-0123' } },
    ] as never);
    expect(price).toBeCloseTo((20 * 0.08 + 100 * 0.045) / 730, 9);
  });
});

describe('what a node class’s volumes cost', () => {
  const nodeClass = (spec: Record<string, unknown>) =>
    ({ apiVersion: 'karpenter.k8s.aws/v1', kind: 'EC2NodeClass', metadata: { name: 'x' }, spec }) as never;

  it('uses the AMI family’s default volumes when the node class sets none', () => {
    expect(
      nodeClassVolumesHourlyPrice(nodeClass({ amiSelectorTerms: [{ alias: 'al2023@latest' }] })),
    ).toBeCloseTo((20 * 0.08) / 730, 9);
    expect(
      nodeClassVolumesHourlyPrice(nodeClass({ amiSelectorTerms: [{ alias: 'bottlerocket@latest' }] })),
    ).toBeCloseTo((24 * 0.08) / 730, 9);
  });

  it('uses the node class’s own mappings when it has them', () => {
    const nc = nodeClass({
      amiSelectorTerms: [{ alias: 'al2023@latest' }],
      blockDeviceMappings: [
        { deviceName: '/dev/xvda', rootVolume: true, ebs: { volumeSize: '100Gi', volumeType: 'gp2' } },
      ],
    });
    expect(nodeClassVolumesHourlyPrice(nc)).toBeCloseTo(10 / 730, 9);
  });
});
