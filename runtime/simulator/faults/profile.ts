/**
 * Fault profiles for the embedded simulator: how often each call the controller makes through its two seams
 * (KubeApi, CloudProvider) fails, and how. Seeded, so a run replays exactly. Given as YAML/JSON or as a compact
 * string (`api.writes=0.1,cloud=0.1,watch.drop=0.01,seed=7`); see docs/TESTING.md.
 */
import { load as yamlLoad } from 'js-yaml';
import { z } from 'zod';

/** How an API call fails. `lostResponse` is applied by the server, then the answer is lost. */
export const API_FAULTS = ['conflict', 'serverError', 'throttle', 'timeout', 'lostResponse'] as const;
export type ApiFault = (typeof API_FAULTS)[number];
export const API_WRITE_VERBS = ['create', 'update', 'updateStatus', 'patch', 'delete', 'evict'] as const;
export const API_READ_VERBS = ['get', 'list'] as const;
export type ApiVerb = (typeof API_WRITE_VERBS)[number] | (typeof API_READ_VERBS)[number];
/** Faults a read can have: it changes nothing, so neither a conflict nor a lost write. */
const READ_FAULTS: readonly ApiFault[] = ['serverError', 'throttle', 'timeout'];

/** How a cloud call fails. */
export const CLOUD_FAULTS = ['insufficientCapacity', 'throttle', 'serverError', 'lostResponse'] as const;
export type CloudFault = (typeof CLOUD_FAULTS)[number];
export const CLOUD_METHODS = ['create', 'delete', 'get', 'list', 'getInstanceTypes'] as const;
export type CloudMethod = (typeof CLOUD_METHODS)[number];
const CLOUD_FAULTS_BY_METHOD: Record<CloudMethod, readonly CloudFault[]> = {
  create: CLOUD_FAULTS,
  delete: ['throttle', 'serverError', 'lostResponse'],
  get: ['throttle', 'serverError'],
  list: ['throttle', 'serverError'],
  getInstanceTypes: ['throttle', 'serverError'],
};

export function faultsFor(verb: ApiVerb): readonly ApiFault[] {
  return (API_READ_VERBS as readonly string[]).includes(verb) ? READ_FAULTS : API_FAULTS;
}

export function cloudFaultsFor(method: CloudMethod): readonly CloudFault[] {
  return CLOUD_FAULTS_BY_METHOD[method];
}

const rate = z.number().min(0).max(1);
const apiRates = z.strictObject(Object.fromEntries(API_FAULTS.map((f) => [f, rate.optional()]))).optional();
const cloudRates = z
  .strictObject(Object.fromEntries(CLOUD_FAULTS.map((f) => [f, rate.optional()])))
  .optional();

export const faultProfileSchema = z.strictObject({
  /** @default 1 */
  seed: z.number().int().min(0).optional(),
  /** Stop injecting after this many faults (e.g. 1: exactly one failure, then a healthy cluster). @default no limit */
  maxFaults: z.number().int().min(0).optional(),
  /** Only API calls and watches on these kinds fail (e.g. ["NodeClaim"]); cloud calls are unaffected. @default all */
  kinds: z.array(z.string().min(1)).min(1).optional(),
  /** Per verb (or `writes` / `reads` for all of them), per fault: the share of calls that fail so. */
  api: z
    .strictObject(
      Object.fromEntries(
        [...API_WRITE_VERBS, ...API_READ_VERBS, 'writes', 'reads'].map((v) => [v, apiRates]),
      ),
    )
    .optional(),
  watch: z
    .strictObject({
      /** Chance, per delivered event, that the watch then closes as a dropped connection. */
      drop: rate.optional(),
      /** Chance that a watch, once started, at once ends with 410 Gone (its resourceVersion compacted). */
      gone: rate.optional(),
    })
    .optional(),
  /** Per method (or `all`), per fault. */
  cloud: z.strictObject(Object.fromEntries([...CLOUD_METHODS, 'all'].map((m) => [m, cloudRates]))).optional(),
});

export type FaultProfileInput = z.infer<typeof faultProfileSchema>;

/** A profile resolved to one rate per (verb, fault). */
export interface FaultProfile {
  seed: number;
  maxFaults?: number;
  kinds?: string[];
  api: Record<ApiVerb, Partial<Record<ApiFault, number>>>;
  watch: { drop: number; gone: number };
  cloud: Record<CloudMethod, Partial<Record<CloudFault, number>>>;
}

type Rates = Partial<Record<string, number | undefined>>;

function merge<F extends string>(
  allowed: readonly F[],
  ...layers: (Rates | undefined)[]
): Partial<Record<F, number>> {
  const out: Partial<Record<F, number>> = {};
  for (const layer of layers) {
    for (const [fault, value] of Object.entries(layer ?? {})) {
      if (value !== undefined && (allowed as readonly string[]).includes(fault)) out[fault as F] = value;
    }
  }
  return out;
}

/** Validate and resolve a profile; throws naming the field and the fix. */
export function resolveFaultProfile(input: unknown, source = 'fault profile'): FaultProfile {
  const parsed = faultProfileSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(profile)'}: ${i.message}`);
    throw new Error(
      `${source}: invalid:\n${lines.join('\n')}\n` +
        `  (rates are numbers from 0 to 1 under api.<verb|writes|reads>.<${API_FAULTS.join('|')}>, ` +
        `watch.<drop|gone>, cloud.<method|all>.<${CLOUD_FAULTS.join('|')}>)`,
    );
  }
  const p = parsed.data;
  const apiLayer = (key: string) => (p.api as Record<string, Rates | undefined> | undefined)?.[key];
  const cloudLayer = (key: string) => (p.cloud as Record<string, Rates | undefined> | undefined)?.[key];
  const api = {} as FaultProfile['api'];
  for (const verb of API_WRITE_VERBS) api[verb] = merge(faultsFor(verb), apiLayer('writes'), apiLayer(verb));
  for (const verb of API_READ_VERBS) api[verb] = merge(faultsFor(verb), apiLayer('reads'), apiLayer(verb));
  const cloud = {} as FaultProfile['cloud'];
  for (const m of CLOUD_METHODS) cloud[m] = merge(cloudFaultsFor(m), cloudLayer('all'), cloudLayer(m));
  return {
    seed: p.seed ?? 1,
    ...(p.maxFaults !== undefined ? { maxFaults: p.maxFaults } : {}),
    ...(p.kinds ? { kinds: p.kinds } : {}),
    api,
    watch: { drop: p.watch?.drop ?? 0, gone: p.watch?.gone ?? 0 },
    cloud,
  };
}

/**
 * The compact form: comma-separated `path=value`. A path that stops at a verb or method (`api.writes=0.1`,
 * `cloud.create=0.05`, `cloud=0.1`) spreads the rate evenly over the faults that call can have.
 */
export function parseFaultSpec(spec: string): FaultProfile {
  const input: Record<string, unknown> = {};
  const set = (path: string[], value: number) => {
    let at = input;
    for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
    at[path[path.length - 1] as string] = value;
  };
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [path, raw] = part.split('=');
    const value = Number(raw);
    if (!path || raw === undefined || raw.trim() === '' || Number.isNaN(value)) {
      throw new Error(`--faults: "${part}" is not path=number (e.g. api.writes=0.1,cloud=0.05,seed=7)`);
    }
    const keys = path.split('.');
    if ((keys[0] === 'seed' || keys[0] === 'maxFaults') && keys.length === 1) set(keys, value);
    else if (keys[0] === 'api' && keys.length === 2) {
      const verb = keys[1] as string;
      const kinds =
        verb === 'reads' || (API_READ_VERBS as readonly string[]).includes(verb) ? READ_FAULTS : API_FAULTS;
      for (const k of kinds) set([...keys, k], value / kinds.length);
    } else if (keys[0] === 'cloud' && keys.length <= 2) {
      const method = keys[1] ?? 'all';
      const kinds = (CLOUD_METHODS as readonly string[]).includes(method)
        ? cloudFaultsFor(method as CloudMethod)
        : CLOUD_FAULTS;
      for (const k of kinds) set(['cloud', method, k], value / kinds.length);
    } else set(keys, value);
  }
  return resolveFaultProfile(input, `--faults "${spec}"`);
}

/** `--faults <file|spec>`: a YAML/JSON profile file, or the compact string form. */
export function loadFaultProfile(arg: string, readFile: (path: string) => string | undefined): FaultProfile {
  const text = readFile(arg);
  if (text === undefined) return parseFaultSpec(arg);
  let input: unknown;
  try {
    input = yamlLoad(text);
  } catch (err) {
    throw new Error(
      `--faults ${arg}: not YAML or JSON: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  return resolveFaultProfile(input, `--faults ${arg}`);
}
