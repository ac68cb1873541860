/**
 * Writes sdk/compat/upstream-fields.json: every spec and status field of upstream's CRDs (core v1.15.0, AWS provider
 * v1.14.1), read from the modules as the Go module proxy serves them (`go mod download`). The file is generated:
 * run `npx tsx scripts/upstream-fields.ts` when the upstream versions move.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { fieldPaths, type CrdLike } from '../sdk/compat/field-paths';

const MODULES = {
  core: 'sigs.k8s.io/karpenter@v1.15.0',
  aws: 'github.com/aws/karpenter-provider-aws@v1.14.1',
} as const;
const CRDS: [keyof typeof MODULES, string][] = [
  ['core', 'pkg/apis/crds/karpenter.sh_nodepools.yaml'],
  ['core', 'pkg/apis/crds/karpenter.sh_nodeclaims.yaml'],
  ['core', 'pkg/apis/crds/karpenter.sh_nodeoverlays.yaml'],
  ['core', 'pkg/apis/crds/autoscaling.x-k8s.io_capacitybuffers.yaml'],
  ['aws', 'pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml'],
];

function moduleDir(module: string): string {
  // Core v1.15.0 asks for a newer Go than the machine's: let go fetch that toolchain from the proxy.
  const env = { ...process.env, GOTOOLCHAIN: process.env.UPSTREAM_GOTOOLCHAIN ?? 'go1.27.3' };
  const out = execFileSync('go', ['mod', 'download', '-json', module], { encoding: 'utf8', env });
  return (JSON.parse(out) as { Dir: string }).Dir;
}

const dirs = { core: moduleDir(MODULES.core), aws: moduleDir(MODULES.aws) };
const kinds: Record<string, string[]> = {};
for (const [module, file] of CRDS) {
  const crd = load(readFileSync(join(dirs[module], file), 'utf8')) as CrdLike;
  kinds[crd.spec.names.kind] = fieldPaths(crd);
}
const out = {
  generatedBy: 'scripts/upstream-fields.ts (do not edit by hand)',
  modules: Object.values(MODULES),
  kinds,
};
const target = join(__dirname, '..', 'sdk', 'compat', 'upstream-fields.json');
writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
console.log(`wrote ${target}`);
