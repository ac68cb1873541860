export { ClientNodeApi, apiErrorFor, resourcePath } from './client-node-api';
