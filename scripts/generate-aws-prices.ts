/**
 * Regenerates runtime/cloudprovider/aws/static-prices.json, the on-demand price table the AWS provider uses until
 * (or when) the Pricing API answers.
 *
 *   tsx scripts/generate-aws-prices.ts [--region us-east-1]   # from the AWS Pricing API (needs AWS credentials)
 *   tsx scripts/generate-aws-prices.ts --from-catalog         # from scripts/data/on-demand-prices-us-east-1.json
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import {
  onDemandProductFilters,
  parseOnDemandProduct,
  type StaticPriceTable,
} from '../runtime/cloudprovider/aws/pricing';
import catalogPrices from './data/on-demand-prices-us-east-1.json';

const OUT = path.join(__dirname, '..', 'runtime', 'cloudprovider', 'aws', 'static-prices.json');

function sorted(prices: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(prices).sort(([a], [b]) => a.localeCompare(b)));
}

function fromCatalog(): StaticPriceTable {
  const s = catalogPrices.source;
  return {
    source: `derived from scripts/data/on-demand-prices-us-east-1.json (${s.repository} ${s.path} @ ${s.commit}, generated ${s.generatedAt}); only the instance families the simulator sells`,
    generatedAt: catalogPrices.pricesAsOf,
    region: catalogPrices.region,
    onDemand: sorted(catalogPrices.prices as Record<string, number>),
  };
}

async function fromPricingApi(region: string): Promise<StaticPriceTable> {
  const client = new PricingClient({ region: 'us-east-1' });
  const onDemand: Record<string, number> = {};
  let NextToken: string | undefined;
  do {
    const out = await client.send(
      new GetProductsCommand({
        ServiceCode: 'AmazonEC2',
        Filters: onDemandProductFilters(region),
        FormatVersion: 'aws_v1',
        NextToken,
      }),
    );
    for (const doc of out.PriceList ?? []) {
      const p = parseOnDemandProduct(String(doc));
      if (p) onDemand[p.instanceType] = p.price;
    }
    NextToken = out.NextToken;
  } while (NextToken);
  return {
    source: 'AWS Pricing API GetProducts (AmazonEC2, Linux, Shared, capacitystatus Used, preInstalledSw NA)',
    generatedAt: new Date().toISOString().slice(0, 10),
    region,
    onDemand: sorted(onDemand),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const regionAt = args.indexOf('--region');
  const region = regionAt >= 0 ? (args[regionAt + 1] as string) : 'us-east-1';
  const table = args.includes('--from-catalog') ? fromCatalog() : await fromPricingApi(region);
  writeFileSync(
    OUT,
    `${JSON.stringify({ generated: 'by scripts/generate-aws-prices.ts; do not edit by hand', ...table }, null, 2)}\n`,
  );
  console.log(`wrote ${Object.keys(table.onDemand).length} prices to ${OUT}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
