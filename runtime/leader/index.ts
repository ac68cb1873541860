export { LeaderElector, DEFAULT_LEASE_NAME, type LeaderElectorOptions } from './leader-elector';
