/**
 * Upstream Karpenter settings (core v1.15, AWS provider v1.14) that karpenter-ts accepts by name but does not
 * apply, settings upstream has removed, and a check for environment variables that look like a misspelled setting.
 * None of them is ever dropped silently: a value that would change upstream's behaviour warns at start-up; a value
 * that asks for what karpenter-ts does anyway (upstream's chart renders many of them unconditionally) gets an info line.
 */
import { parseFeatureGateList, featureGateWarnings } from './feature-gates';
import { APPLIED_SETTING_NAMES, type RawSettings } from './settings';

export interface UnappliedSetting {
  env: string;
  flag: string;
  /** Upstream's default, as text. */
  upstreamDefault: string;
  /** Why the setting has no effect here. */
  reason: string;
  /** The value already describes what karpenter-ts does, so nothing is lost by not applying it. */
  inert: (value: string) => boolean;
}

const isFalse = (v: string) => v.trim().toLowerCase() === 'false';
const isTrue = (v: string) => v.trim().toLowerCase() === 'true';
const is = (expected: string) => (v: string) => v.trim() === expected;
const always = () => true;

export const UNAPPLIED_SETTINGS: readonly UnappliedSetting[] = [
  // Core.
  {
    env: 'KARPENTER_SERVICE',
    flag: 'karpenter-service',
    upstreamDefault: '',
    reason: 'karpenter-ts serves no webhooks, so there is no webhook certificate to name',
    inert: always,
  },
  {
    env: 'ENABLE_PROFILING',
    flag: 'enable-profiling',
    upstreamDefault: 'false',
    reason: 'karpenter-ts serves no pprof endpoints; use node --inspect or --cpu-prof instead',
    inert: isFalse,
  },
  {
    env: 'DISABLE_CONTROLLER_WARMUP',
    flag: 'disable-controller-warmup',
    upstreamDefault: 'true',
    reason: 'karpenter-ts starts its informers only once it leads (no warm-up)',
    inert: isTrue,
  },
  {
    env: 'DISABLE_CLUSTER_STATE_OBSERVABILITY',
    flag: 'disable-cluster-state-observability',
    upstreamDefault: 'false',
    reason: 'karpenter-ts always publishes its cluster state metrics and events',
    inert: isFalse,
  },
  {
    env: 'MEMORY_LIMIT',
    flag: 'memory-limit',
    upstreamDefault: '-1',
    reason:
      'Node.js has no runtime soft memory limit to set from it; size the heap with NODE_OPTIONS=--max-old-space-size',
    inert: (v) => Number(v) < 0,
  },
  {
    env: 'CPU_REQUESTS',
    flag: 'cpu-requests',
    upstreamDefault: '1000',
    reason: 'karpenter-ts schedules on one thread, so there is no scheduler parallelism to size from it',
    inert: always,
  },
  {
    env: 'LOG_OUTPUT_PATHS',
    flag: 'log-output-paths',
    upstreamDefault: 'stdout',
    reason: 'karpenter-ts always logs JSON to stdout',
    inert: is('stdout'),
  },
  {
    env: 'LOG_ERROR_OUTPUT_PATHS',
    flag: 'log-error-output-paths',
    upstreamDefault: 'stderr',
    reason: "karpenter-ts's logger reports its own failures on stderr only",
    inert: is('stderr'),
  },
  {
    env: 'IGNORE_DRA_REQUESTS',
    flag: 'ignore-dra-requests',
    upstreamDefault: 'true',
    reason: "karpenter-ts's scheduler does not model DRA resource claims (it always ignores them)",
    inert: isTrue,
  },
  {
    env: 'LEGACY_NODE_REPAIR',
    flag: 'legacy-node-repair',
    upstreamDefault: 'false',
    reason:
      "karpenter-ts's node repair is upstream's repair method (replacement first, TerminateFirstRepair); the legacy controller is not kept",
    inert: isFalse,
  },
  {
    env: 'SCHEDULER_CONFIG',
    flag: 'scheduler-config',
    upstreamDefault: '',
    reason: "karpenter-ts's scheduler does not apply default topology spread constraints",
    inert: is(''),
  },
  // AWS provider.
  {
    env: 'EKS_CONTROL_PLANE',
    flag: 'eks-control-plane',
    upstreamDefault: 'false',
    reason: 'karpenter-ts reads the Kubernetes version from the API server, never from eks:DescribeCluster',
    inert: isFalse,
  },
  {
    env: 'DISABLE_DRY_RUN',
    flag: 'disable-dry-run',
    upstreamDefault: 'false',
    reason: 'karpenter-ts does not validate EC2NodeClasses with dry-run calls',
    inert: isTrue,
  },
  {
    env: 'AMI_REFRESH_INTERVAL',
    flag: 'ami-refresh-interval',
    upstreamDefault: '1m',
    reason: 'karpenter-ts re-resolves AMIs every 1m, fixed',
    inert: is('1m'),
  },
  {
    env: 'SUBNET_REFRESH_INTERVAL',
    flag: 'subnet-refresh-interval',
    upstreamDefault: '1m',
    reason: 'karpenter-ts re-resolves subnets every 1m, fixed',
    inert: is('1m'),
  },
];

/** Settings upstream had and dropped, with what replaced them; set, they only warn. */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  ASSUME_ROLE_ARN:
    'removed upstream in v1.0; the controller uses the default AWS credential chain (IRSA, Pod Identity)',
  ASSUME_ROLE_DURATION: 'removed upstream in v1.0 together with ASSUME_ROLE_ARN',
  DISABLE_WEBHOOK: 'removed upstream after v1.0; karpenter-ts runs no webhooks',
  WEBHOOK_PORT: 'removed upstream after v1.0; karpenter-ts runs no webhooks',
  WEBHOOK_METRICS_PORT: 'removed upstream after v1.0; karpenter-ts runs no webhooks',
};

export interface SettingNotice {
  level: 'warn' | 'info';
  message: string;
}

/** The value a setting was given, flag first, with how to name its source. */
function given(env: RawSettings, flags: RawSettings, name: string, flag: string) {
  const fromFlag = flags[name];
  const value = fromFlag ?? env[name];
  if (value === undefined) return undefined;
  return { value, source: fromFlag !== undefined ? `--${flag}` : name };
}

/** What start-up should say about upstream settings this process will not apply, and about gates without effect. */
export function unappliedSettingNotices(env: RawSettings, flags: RawSettings = {}): SettingNotice[] {
  const notices: SettingNotice[] = [];
  for (const s of UNAPPLIED_SETTINGS) {
    const g = given(env, flags, s.env, s.flag);
    if (!g) continue;
    const inert = s.inert(g.value);
    notices.push({
      level: inert ? 'info' : 'warn',
      message: inert
        ? `${g.source}=${JSON.stringify(g.value)} accepted, nothing to apply: ${s.reason}`
        : `${g.source}=${JSON.stringify(g.value)} has no effect: ${s.reason}`,
    });
  }
  for (const [name, why] of Object.entries(REMOVED_SETTINGS)) {
    if (env[name] !== undefined) notices.push({ level: 'warn', message: `${name} has no effect: ${why}` });
  }
  const gates = flags.FEATURE_GATES ?? env.FEATURE_GATES;
  if (gates) {
    try {
      for (const message of featureGateWarnings(parseFeatureGateList(gates)))
        notices.push({ level: 'warn', message });
    } catch {
      // A malformed list already stopped loadSettings.
    }
  }
  return notices;
}

/** Optimal string alignment distance (Levenshtein plus swapping two adjacent letters). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => (d[i] as number[])[j] as number;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * Environment variables that are not settings but lie within a small edit distance of one (1 for names up to 8
 * characters, else 2), e.g. BATCH_IDLE_DURATON or LOG_LEVLE. Every other variable of the process is left alone.
 */
export function misspelledSettingNotices(env: RawSettings, known: readonly string[]): SettingNotice[] {
  const names = new Set(known);
  const notices: SettingNotice[] = [];
  for (const name of Object.keys(env).sort()) {
    if (names.has(name)) continue;
    const limit = name.length <= 8 ? 1 : 2;
    let best: { name: string; distance: number } | undefined;
    for (const k of names) {
      const distance = editDistance(name.toUpperCase(), k);
      if (distance <= limit && (!best || distance < best.distance)) best = { name: k, distance };
    }
    if (best)
      notices.push({
        level: 'warn',
        message: `${name} is not a setting and has no effect: did you mean ${best.name}?`,
      });
  }
  return notices;
}

/** Every name start-up knows: for the misspelling check. */
export const KNOWN_SETTING_NAMES: readonly string[] = [
  ...APPLIED_SETTING_NAMES,
  ...UNAPPLIED_SETTINGS.map((s) => s.env),
  ...Object.keys(REMOVED_SETTINGS),
];

/** Everything start-up says about the settings it was given, warnings first. */
export function startupSettingNotices(env: RawSettings, flags: RawSettings = {}): SettingNotice[] {
  const all = [...unappliedSettingNotices(env, flags), ...misspelledSettingNotices(env, KNOWN_SETTING_NAMES)];
  return [...all.filter((n) => n.level === 'warn'), ...all.filter((n) => n.level === 'info')];
}
