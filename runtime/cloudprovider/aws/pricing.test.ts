import fc from 'fast-check';
import { DescribeSpotPriceHistoryCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { mockClient } from 'aws-sdk-client-mock';
import { parseOnDemandProduct, PricingProvider, PRICING_REFRESH_MS, staticPrices } from './pricing';
import { awsError, ManualClock, silentLogger } from './testing';

function product(instanceType: string, usd: string): string {
  return JSON.stringify({
    product: { attributes: { instanceType, operatingSystem: 'Linux' } },
    terms: {
      OnDemand: {
        'ABC.JRTCKXETXF': {
          priceDimensions: { 'ABC.JRTCKXETXF.6YS6EN2CT7': { unit: 'Hrs', pricePerUnit: { USD: usd } } },
        },
      },
    },
  });
}

function setup(opts: { usePricingApi?: boolean } = {}) {
  const ec2 = new EC2Client({ region: 'us-east-1' });
  const pricing = new PricingClient({ region: 'us-east-1' });
  const ec2Mock = mockClient(ec2);
  const pricingMock = mockClient(pricing);
  const clock = new ManualClock();
  const provider = new PricingProvider({
    ec2,
    pricing,
    region: 'us-east-1',
    clock,
    logger: silentLogger,
    ...opts,
  });
  return { ec2Mock, pricingMock, clock, provider };
}

describe('parseOnDemandProduct', () => {
  it('reads the instance type and the hourly USD price', () => {
    expect(parseOnDemandProduct(product('m5.large', '0.0960000000'))).toEqual({
      instanceType: 'm5.large',
      price: 0.096,
    });
  });
  it.each(['', '{', 'null', '{"product":{}}', product('m5.large', '0'), product('m5.large', 'abc')])(
    'returns undefined for %j',
    (doc) => expect(parseOnDemandProduct(doc)).toBeUndefined(),
  );
});

describe('PricingProvider', () => {
  it('starts from the static table, which states its source and date', () => {
    const { provider } = setup();
    expect(staticPrices.source).toMatch(/karpenter-provider-aws|Pricing API/);
    expect(staticPrices.generatedAt).toMatch(/^\d{4}-\d{2}-\d{2}/);
    expect(provider.onDemandPrice('m5.large')).toBe(staticPrices.onDemand['m5.large']);
    // No spot price yet: the on-demand price stands in.
    expect(provider.spotPrice('m5.large', 'us-east-1a')).toBe(staticPrices.onDemand['m5.large']);
  });

  it('asks GetProducts for shared Linux on-demand prices in the region, following pages', async () => {
    const { pricingMock, ec2Mock, provider } = setup();
    pricingMock
      .on(GetProductsCommand)
      .resolvesOnce({ PriceList: [product('m5.large', '0.1')], NextToken: 'p2' })
      .resolvesOnce({ PriceList: [product('zz9.huge', '9.5')] });
    ec2Mock.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
    await provider.refreshIfStale();
    const calls = pricingMock.commandCalls(GetProductsCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      ServiceCode: 'AmazonEC2',
      FormatVersion: 'aws_v1',
      NextToken: undefined,
      Filters: [
        { Type: 'TERM_MATCH', Field: 'regionCode', Value: 'us-east-1' },
        { Type: 'TERM_MATCH', Field: 'operatingSystem', Value: 'Linux' },
        { Type: 'TERM_MATCH', Field: 'tenancy', Value: 'Shared' },
        { Type: 'TERM_MATCH', Field: 'capacitystatus', Value: 'Used' },
        { Type: 'TERM_MATCH', Field: 'preInstalledSw', Value: 'NA' },
      ],
    });
    expect(calls[1]?.NextToken).toBe('p2');
    expect(provider.onDemandPrice('m5.large')).toBe(0.1);
    expect(provider.onDemandPrice('zz9.huge')).toBe(9.5);
    // The API's answer replaces the table: types it does not list have no price.
    expect(provider.onDemandPrice('c5.large')).toBeUndefined();
  });

  it('keeps the static table when the Pricing API fails', async () => {
    const { pricingMock, ec2Mock, provider } = setup();
    pricingMock.on(GetProductsCommand).rejects(awsError('AccessDeniedException'));
    ec2Mock.on(DescribeSpotPriceHistoryCommand).rejects(awsError('UnauthorizedOperation'));
    await provider.refreshIfStale();
    expect(provider.onDemandPrice('m5.large')).toBe(staticPrices.onDemand['m5.large']);
  });

  it('takes the latest spot price per type and zone from DescribeSpotPriceHistory', async () => {
    const { ec2Mock, clock, provider } = setup({ usePricingApi: false });
    ec2Mock.on(DescribeSpotPriceHistoryCommand).resolves({
      SpotPriceHistory: [
        {
          InstanceType: 'm5.large',
          AvailabilityZone: 'us-east-1a',
          SpotPrice: '0.04',
          Timestamp: new Date(1000),
        },
        {
          InstanceType: 'm5.large',
          AvailabilityZone: 'us-east-1a',
          SpotPrice: '0.03',
          Timestamp: new Date(2000),
        },
        {
          InstanceType: 'm5.large',
          AvailabilityZone: 'us-east-1b',
          SpotPrice: '0.05',
          Timestamp: new Date(1500),
        },
      ],
    });
    await provider.refreshIfStale();
    expect(ec2Mock.commandCalls(DescribeSpotPriceHistoryCommand)[0]?.args[0].input).toEqual({
      ProductDescriptions: ['Linux/UNIX', 'Linux/UNIX (Amazon VPC)'],
      StartTime: new Date(clock.now()),
      NextToken: undefined,
    });
    expect(provider.spotPrice('m5.large', 'us-east-1a')).toBe(0.03);
    expect(provider.spotPrice('m5.large', 'us-east-1b')).toBe(0.05);
  });

  it('refreshes again only after 12 hours', async () => {
    const { ec2Mock, clock, provider } = setup({ usePricingApi: false });
    ec2Mock.on(DescribeSpotPriceHistoryCommand).resolves({ SpotPriceHistory: [] });
    await provider.refreshIfStale();
    clock.advance(PRICING_REFRESH_MS - 1);
    await provider.refreshIfStale();
    expect(ec2Mock.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(1);
    clock.advance(1);
    await provider.refreshIfStale();
    expect(ec2Mock.commandCalls(DescribeSpotPriceHistoryCommand)).toHaveLength(2);
  });
});

describe('parseOnDemandProduct fuzz', () => {
  it('never throws on random or truncated documents', () => {
    const doc = product('m5.large', '0.096');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.nat(doc.length).map((n) => doc.slice(0, n)),
        ),
        (text) => {
          const out = parseOnDemandProduct(text);
          expect(out === undefined || (typeof out.instanceType === 'string' && out.price > 0)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
