/** What the test files read from the global setup (kept apart from ./engine, which the global setup loads). */
import { KUBECONFIG_ENV, WORKDIR_ENV } from './engine';

export const kubeconfigPath: string | undefined = process.env[KUBECONFIG_ENV];
export const workdir: string | undefined = process.env[WORKDIR_ENV];

/** `describe` when the engine and its cluster are ready, `describe.skip` (the global setup said why) otherwise. */
export const describeWithEngine: jest.Describe = kubeconfigPath && workdir ? describe : describe.skip;
