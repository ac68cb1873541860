import { nodeOverlaySchema, type NodeOverlayInput } from '../../../sdk/api/nodeoverlay';
import type { NodeOverlay } from '../../kube/objects';
import type { InstanceType } from '../../scheduling/instance-types';
import { instanceTypes, nodePool } from '../../scheduling/testing';
import {
  adjustedPrice,
  evaluateOverlays,
  orderByWeight,
  UnevaluatedNodePoolError,
  type PoolInstanceTypes,
} from './overlays';

function overlay(name: string, spec: NodeOverlayInput['spec']): NodeOverlay {
  return nodeOverlaySchema.parse({
    apiVersion: 'karpenter.sh/v1alpha1',
    kind: 'NodeOverlay',
    metadata: { name },
    spec,
  });
}

const family = (...values: string[]) => ({
  key: 'karpenter.k8s.aws/instance-family',
  operator: 'In' as const,
  values,
});
const TYPES = instanceTypes(['m5.large', 'm5.xlarge', 'c5.large']);
const pools = (): PoolInstanceTypes[] => [{ nodePool: nodePool('default'), instanceTypes: TYPES }];
const byName = (types: InstanceType[], name: string) => types.find((t) => t.name === name) as InstanceType;
const price = (types: InstanceType[], name: string, capacityType: string, zone = 'us-east-1a') =>
  byName(types, name).offerings.find((o) => o.capacityType === capacityType && o.zone === zone)?.price;
const original = (name: string, capacityType: string) => price(TYPES, name, capacityType) as number;

describe('adjustedPrice', () => {
  it.each([
    [0.2, '-10%', 0.18],
    [0.2, '+50%', 0.3],
    [0.2, '-100%', 0],
    [0.2, '+0.05', 0.25],
    [0.2, '-0.05', 0.15],
    [0.2, '-1', 0], // never below zero
    [0.2, '0.3', 0.3], // unsigned: a replacement
    [0.2, '0', 0],
  ])('%s with %s is %s', (base, change, expected) => {
    expect(adjustedPrice(base, change)).toBeCloseTo(expected, 10);
  });
});

describe('orderByWeight', () => {
  it('takes the highest weight first, unset as 0, and equal weights in reverse alphabetical order', () => {
    const ordered = orderByWeight([
      overlay('none', { requirements: [] }),
      overlay('a', { requirements: [], weight: 5 }),
      overlay('top', { requirements: [], weight: 10 }),
      overlay('b', { requirements: [], weight: 5 }),
    ]);
    expect(ordered.map((o) => o.metadata.name)).toEqual(['top', 'b', 'a', 'none']);
  });
});

describe('evaluateOverlays', () => {
  it('discounts the selected family by percent and leaves the others alone', () => {
    const { store, conflicts } = evaluateOverlays(
      [overlay('m5-discount', { requirements: [family('m5')], priceAdjustment: '-50%' })],
      pools(),
    );
    expect(conflicts).toEqual([]);
    const out = store.apply('default', TYPES);
    expect(price(out, 'm5.large', 'on-demand')).toBeCloseTo(original('m5.large', 'on-demand') / 2, 10);
    expect(price(out, 'm5.xlarge', 'spot')).toBeCloseTo(original('m5.xlarge', 'spot') / 2, 10);
    expect(byName(out, 'm5.large').offerings.every((o) => o.priceOverlaid)).toBe(true);
    expect(byName(out, 'c5.large')).toBe(byName(TYPES, 'c5.large'));
    // The cloud's own objects are never changed.
    expect(byName(TYPES, 'm5.large').offerings.some((o) => o.priceOverlaid)).toBe(false);
  });

  it('changes only the offerings whose capacity type and zone the requirements allow', () => {
    const { store } = evaluateOverlays(
      [
        overlay('spot-a', {
          requirements: [
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: ['spot'] },
            { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['us-east-1a'] },
          ],
          priceAdjustment: '+0.01',
        }),
        overlay('fixed', { requirements: [family('c5')], price: '0.001', weight: 5 }),
      ],
      pools(),
    );
    const out = store.apply('default', TYPES);
    expect(price(out, 'm5.large', 'spot')).toBeCloseTo(original('m5.large', 'spot') + 0.01, 10);
    expect(price(out, 'm5.large', 'spot', 'us-east-1b')).toBe(price(TYPES, 'm5.large', 'spot', 'us-east-1b'));
    expect(price(out, 'm5.large', 'on-demand')).toBe(original('m5.large', 'on-demand'));
    // c5.large spot in us-east-1a: both select it, and the higher weight keeps it.
    expect(price(out, 'c5.large', 'spot')).toBe(0.001);
    expect(price(out, 'c5.large', 'on-demand', 'us-east-1b')).toBe(0.001);
  });

  it('lets the higher weight win where overlays overlap and the lower apply elsewhere', () => {
    const { store, conflicts } = evaluateOverlays(
      [
        overlay('all', { requirements: [], priceAdjustment: '-10%', weight: 1 }),
        overlay('m5', { requirements: [family('m5')], price: '0.01', weight: 50 }),
      ],
      pools(),
    );
    expect(conflicts).toEqual([]);
    const out = store.apply('default', TYPES);
    expect(price(out, 'm5.large', 'on-demand')).toBe(0.01);
    expect(price(out, 'c5.large', 'on-demand')).toBeCloseTo(original('c5.large', 'on-demand') * 0.9, 10);
  });

  it('marks an overlay of the same weight on the same offering as conflicting, and applies it nowhere', () => {
    const { store, conflicts } = evaluateOverlays(
      [
        overlay('m5-cheap', { requirements: [family('m5')], price: '0.01', weight: 7 }),
        // Overlaps on m5.large only; its c5.large discount is withheld as well (all or nothing).
        overlay('large', {
          requirements: [{ key: 'karpenter.k8s.aws/instance-size', operator: 'In', values: ['large'] }],
          priceAdjustment: '-90%',
          weight: 7,
        }),
      ],
      pools(),
    );
    // "m5-cheap" sorts first (reverse alphabetical), so "large" is the one that conflicts.
    expect(conflicts).toEqual(['large']);
    const out = store.apply('default', TYPES);
    expect(price(out, 'm5.large', 'on-demand')).toBe(0.01);
    expect(price(out, 'c5.large', 'on-demand')).toBe(original('c5.large', 'on-demand'));
  });

  it('conflicts with the last overlay to touch an offering, not only the first', () => {
    const { conflicts } = evaluateOverlays(
      [
        overlay('high', { requirements: [family('m5')], price: '0.01', weight: 9 }),
        overlay('low-b', { requirements: [family('m5')], price: '0.02', weight: 3 }),
        overlay('low-a', { requirements: [family('m5')], price: '0.03', weight: 3 }),
      ],
      pools(),
    );
    expect(conflicts).toEqual(['low-a']);
  });

  it('does not count a same-weight overlay on other offerings, or on capacity only, as a conflict', () => {
    const { conflicts } = evaluateOverlays(
      [
        overlay('m5', { requirements: [family('m5')], priceAdjustment: '-10%' }),
        overlay('c5', { requirements: [family('c5')], priceAdjustment: '-10%' }),
        overlay('device', { requirements: [family('m5')], capacity: { 'example.com/device': '1' } }),
      ],
      pools(),
    );
    expect(conflicts).toEqual([]);
  });

  it('adds extended resources to capacity and allocatable; the first overlay to set a resource keeps it', () => {
    const { store, conflicts } = evaluateOverlays(
      [
        overlay('two', { requirements: [family('m5')], capacity: { 'example.com/device': '2' }, weight: 20 }),
        overlay('one', {
          requirements: [],
          capacity: { 'example.com/device': '1', 'example.com/other': '500m' },
          weight: 10,
        }),
      ],
      pools(),
    );
    expect(conflicts).toEqual([]);
    const out = store.apply('default', TYPES);
    const m5 = byName(out, 'm5.large');
    expect(m5.capacity['example.com/device']).toBe(2);
    expect(m5.allocatable['example.com/device']).toBe(2);
    expect(m5.capacity['example.com/other']).toBe(1); // rounded, as every non-cpu quantity
    expect(m5.capacity.cpu).toBe(byName(TYPES, 'm5.large').capacity.cpu);
    expect(m5.capacityOverlaid).toBe(true);
    expect(byName(out, 'c5.large').capacity['example.com/device']).toBe(1);
    expect(byName(TYPES, 'm5.large').capacity['example.com/device']).toBeUndefined();
  });

  it('marks a same-weight overlay setting the same resource as conflicting', () => {
    const { conflicts } = evaluateOverlays(
      [
        overlay('b', { requirements: [family('m5')], capacity: { 'example.com/device': '2' } }),
        overlay('a', { requirements: [], capacity: { 'example.com/device': '1' } }),
      ],
      pools(),
    );
    expect(conflicts).toEqual(['a']);
  });

  it('selects by NodePool name and template labels; an undefined custom label selects nothing', () => {
    const poolsWithLabels: PoolInstanceTypes[] = [
      { nodePool: nodePool('team-a', { labels: { 'example.com/team': 'a' } }), instanceTypes: TYPES },
      { nodePool: nodePool('other'), instanceTypes: TYPES },
    ];
    const { store } = evaluateOverlays(
      [
        overlay('team', {
          requirements: [{ key: 'example.com/team', operator: 'In', values: ['a'] }],
          price: '0.5',
        }),
        overlay('pool', {
          requirements: [{ key: 'karpenter.sh/nodepool', operator: 'In', values: ['other'] }],
          price: '0.7',
          weight: 2,
        }),
        overlay('not-team', {
          requirements: [{ key: 'example.com/team', operator: 'NotIn', values: ['a'] }],
          capacity: { 'example.com/device': '3' },
        }),
      ],
      poolsWithLabels,
    );
    const teamA = store.apply('team-a', TYPES);
    const other = store.apply('other', TYPES);
    expect(price(teamA, 'm5.large', 'on-demand')).toBe(0.5);
    expect(price(other, 'm5.large', 'on-demand')).toBe(0.7);
    expect(byName(teamA, 'm5.large').capacity['example.com/device']).toBeUndefined();
    expect(byName(other, 'm5.large').capacity['example.com/device']).toBe(3);
  });

  it('holds back a pool it has not evaluated, and reports overlays that fail validation', () => {
    const { store, invalid, conflicts } = evaluateOverlays(
      [overlay('bad', { requirements: [], price: '1' })],
      pools(),
      (o) => (o.metadata.name === 'bad' ? 'spec.price: broken' : undefined),
    );
    expect(invalid).toEqual(new Map([['bad', 'spec.price: broken']]));
    expect(conflicts).toEqual([]);
    expect(store.apply('default', TYPES)).toBe(TYPES);
    expect(() => store.apply('new-pool', TYPES)).toThrow(UnevaluatedNodePoolError);
  });
});
