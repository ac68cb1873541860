/**
 * Completes dist/provider/policy/pack (after tsc) as `pulumi preview --policy-pack <dir>` runs it: PulumiPolicy.yaml,
 * and a package.json, since @pulumi/policy's PolicyPack reads its version from the pack directory's package.json
 * (the pack's version is this package's own).
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const pack = join(root, 'dist', 'provider', 'policy', 'pack');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

copyFileSync(join(root, 'provider', 'policy', 'pack', 'PulumiPolicy.yaml'), join(pack, 'PulumiPolicy.yaml'));
writeFileSync(
  join(pack, 'package.json'),
  `${JSON.stringify({ name: 'karpenter-ts-policy-pack', version, private: true, main: 'index.js' }, null, 2)}\n`,
);
