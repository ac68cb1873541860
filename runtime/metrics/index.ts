export * from './metrics';
export { registry, collectProcessMetrics, onScrape, scrape } from './registry';
export { bindClusterState, refreshClusterGauges } from './cluster-gauges';
export { bindInterruptionStats, messageTypeLabel } from './interruption-stats';
export { instrumentCloudProvider, errorCategory } from './cloudprovider';
