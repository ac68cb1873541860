export * from './metrics';
export * from './nodes';
export * from './nodepools';
export * from './pods';
export * from './disruption';
export * from './scheduler';
export * from './savings-plans';
export { registry, collectProcessMetrics, onScrape, scrape } from './registry';
export { bindClusterState, refreshClusterGauges, type BindOptions } from './cluster-gauges';
export { bindInterruptionStats, messageTypeLabel } from './interruption-stats';
export { queueMetrics } from './workqueue';
export { bindStatusConditions, type StatusSources } from './status-conditions';
export {
  instrumentCloudProvider,
  errorCategory,
  instanceTypeOfferingAvailable,
  instanceTypeOfferingPriceEstimate,
  instanceTypeCpuCores,
  instanceTypeMemoryBytes,
} from './cloudprovider';
