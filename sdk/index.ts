export * from './api/well-known';
export * from './api/common';
export * from './api/nodepool';
export * from './api/nodeclaim';
export * from './api/ec2nodeclass';
export * from './api/validate';
