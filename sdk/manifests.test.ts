import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { Rules } from './api/rules';
import * as sdk from './index';
import { isEC2NodeClass, isNodePool, ManifestError, parseManifests, type ManifestProblem } from './manifests';

const root = join(__dirname, '..');
const seedsDir = join(__dirname, 'testdata', 'seeds');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

/** The problems a ManifestError carries, or a failure if `text` parses. */
function problemsOf(text: string): ManifestProblem[] {
  try {
    parseManifests(text);
  } catch (err) {
    if (err instanceof ManifestError) return err.problems;
    throw err;
  }
  throw new Error('expected a ManifestError');
}

describe('example manifests', () => {
  const seedFiles = yamlFiles(seedsDir);
  // cluster.yaml is the lab's own config (static nodes plus a list of workloads), not a manifest stream.
  const labConfig = join(root, 'examples', 'lab', 'cluster.yaml');
  // Pulumi.yaml files are Pulumi project files, not Kubernetes manifests.
  const exampleFiles = yamlFiles(join(root, 'examples')).filter(
    (f) => f !== labConfig && !f.endsWith('Pulumi.yaml'),
  );

  it('finds the seed fixtures and the examples', () => {
    expect(seedFiles.length).toBeGreaterThanOrEqual(9);
    expect(exampleFiles.length).toBeGreaterThanOrEqual(4);
  });

  it.each(seedFiles.map((f) => [f.slice(seedsDir.length + 1), f]))(
    'seed %s names its source and parses',
    (_name, file) => {
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/^# Source: \/work\/shared\/seeds\/\d{3}_[0-9a-f]+\.txt/);
      const objects = parseManifests(text, { source: file });
      expect(objects.length).toBeGreaterThan(0);
      expect(objects.every((o) => isNodePool(o) || isEC2NodeClass(o))).toBe(true);
    },
  );

  it.each(exampleFiles.map((f) => [f.slice(root.length + 1), f]))('%s parses', (_name, file) => {
    expect(parseManifests(readFileSync(file, 'utf8'), { source: file }).length).toBeGreaterThan(0);
  });

  it('the workloads in the lab cluster config parse', () => {
    const config = yaml.load(readFileSync(labConfig, 'utf8')) as { workloads: unknown[] };
    const stream = config.workloads.map((w) => yaml.dump(w)).join('---\n');
    expect(parseManifests(stream)).toHaveLength(config.workloads.length);
  });

  it('the seed EC2NodeClass exactly as published fails only for its missing amiSelectorTerms', () => {
    const cleaned = readFileSync(join(seedsDir, '002-ec2nodeclass.yaml'), 'utf8');
    const verbatim = cleaned.replace(/ {2}amiSelectorTerms:\n {4}- alias: al2023@latest\n/, '');
    expect(verbatim).not.toMatch(/^\s+amiSelectorTerms:/m);
    expect(problemsOf(verbatim)).toEqual([
      {
        documentIndex: 0,
        kind: 'EC2NodeClass',
        name: 'default',
        path: 'spec.amiSelectorTerms',
        message: 'is required: add at least one AMI selector term, e.g. - alias: al2023@latest',
      },
    ]);
  });

  it('applies the defaults to seed manifests', () => {
    const [pool] = parseManifests(readFileSync(join(seedsDir, '002-gpu-nodepool.yaml'), 'utf8'));
    if (!pool || !isNodePool(pool)) throw new Error('expected a NodePool');
    expect(pool.spec.template.spec.expireAfter).toBe('720h');
    expect(pool.spec.disruption.budgets).toEqual([{ nodes: '10%' }]);
    expect(pool.spec.limits).toEqual({ 'nvidia.com/gpu': 100 });
  });
});

const pool = (name: string, extra = '') => `apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: ${name}
spec:
  template:
    spec:
      requirements: []
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
${extra}`;

describe('parseManifests', () => {
  it('is exported from the package entry point', () => {
    expect(sdk.parseManifests).toBe(parseManifests);
    expect(sdk.ManifestError).toBe(ManifestError);
  });

  it('returns every document in order, Karpenter kinds typed and defaulted, others untouched', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } },
    };
    const objects = parseManifests(
      [
        '# leading comment',
        '---',
        pool('a'),
        '---',
        yaml.dump(deployment),
        '---',
        '',
        '---',
        readFileSync(join(root, 'examples', 'lab', 'ec2nodeclass.yaml'), 'utf8'),
      ].join('\n'),
    );
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'NodePool/a',
      'Deployment/web',
      'EC2NodeClass/default',
    ]);
    expect(objects[1]).toEqual(deployment);
    const first = objects[0];
    if (!first || !isNodePool(first)) throw new Error('expected a NodePool');
    expect(first.spec.disruption.consolidationPolicy).toBe('WhenEmptyOrUnderutilized');
  });

  it('returns nothing for an empty stream', () => {
    expect(parseManifests('')).toEqual([]);
    expect(parseManifests('# nothing here\n---\n')).toEqual([]);
  });

  it('lists every problem of every document, with index, kind, name and field path', () => {
    const text = [
      pool('ok'),
      pool('bad-weight', '  weight: 0\n'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\ndata: {a: b}\n',
      pool(
        'bad-requirements',
        '  disruption:\n    budgets:\n      - {nodes: "10%", schedule: "0 9 * * 1-5"}\n',
      ).replace(
        '      requirements: []\n',
        '      requirements:\n        - {key: kubernetes.io/hostname, operator: In, values: [a]}\n        - {key: example.com/x, operator: Gt, values: [a, b]}\n',
      ),
    ].join('---\n');
    const problems = problemsOf(text);
    expect(problems).toEqual([
      {
        documentIndex: 1,
        kind: 'NodePool',
        name: 'bad-weight',
        path: 'spec.weight',
        message: 'must be at least 1: use 1 to 100 (higher is tried first), or remove weight',
      },
      {
        documentIndex: 3,
        kind: 'NodePool',
        name: 'bad-requirements',
        path: 'spec.template.spec.requirements.0.key',
        message: `${Rules.labelHostnameRestricted.message} (got "kubernetes.io/hostname")`,
        rule: 'labelHostnameRestricted',
      },
      {
        documentIndex: 3,
        kind: 'NodePool',
        name: 'bad-requirements',
        path: 'spec.template.spec.requirements.1.values',
        message: `${Rules.requirementSingleInteger.message} (operator Gt, got ["a","b"])`,
        rule: 'requirementSingleInteger',
      },
      {
        documentIndex: 3,
        kind: 'NodePool',
        name: 'bad-requirements',
        path: 'spec.disruption.budgets.0.duration',
        message: Rules.budgetScheduleNeedsDuration.message,
        rule: 'budgetScheduleNeedsDuration',
      },
    ]);
  });

  it('formats the error by document, so each line names the object and the field', () => {
    let message = '';
    try {
      parseManifests(`${pool('a', '  weight: 200\n')}---\n${pool('b', '  limits: {cpu: lots}\n')}`, {
        source: 'pools.yaml',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe(
      [
        'pools.yaml: 2 problems in 2 documents:',
        '  document 0: invalid NodePool "a":',
        '    - spec.weight: must be at most 100: use 1 to 100 (higher is tried first)',
        '  document 1: invalid NodePool "b":',
        '    - spec.limits.cpu: is not a resource quantity (got "lots"): use a number with an optional unit, such as 4, "500m", "16Gi" or "1e3"',
      ].join('\n'),
    );
  });

  it('reports documents that are not objects, nameless objects and retired APIs', () => {
    const text = [
      '- just\n- a list\n',
      'apiVersion: karpenter.sh/v1\nkind: NodePool\nmetadata: {}\nspec:\n  template:\n    spec:\n      requirements: []\n      nodeClassRef: {group: g, kind: k, name: n}\n',
      'apiVersion: karpenter.sh/v1alpha5\nkind: Provisioner\nmetadata: {name: old}\nspec: {}\n',
      'apiVersion: karpenter.k8s.aws/v1beta1\nkind: EC2NodeClass\nmetadata: {name: old}\nspec: {}\n',
    ].join('---\n');
    expect(problemsOf(text)).toEqual([
      {
        documentIndex: 0,
        path: '',
        message: 'is not a Kubernetes object: each document needs apiVersion and kind (and metadata)',
      },
      {
        documentIndex: 1,
        kind: 'NodePool',
        path: 'metadata.name',
        message: 'is required: give the object a name',
      },
      {
        documentIndex: 2,
        kind: 'Provisioner',
        name: 'old',
        path: 'apiVersion',
        message:
          'karpenter.sh/v1alpha5 Provisioner is no longer supported: rewrite it as a karpenter.sh/v1 NodePool',
      },
      {
        documentIndex: 3,
        kind: 'EC2NodeClass',
        name: 'old',
        path: 'apiVersion',
        message:
          'karpenter.k8s.aws/v1beta1 EC2NodeClass is no longer supported: change apiVersion to karpenter.k8s.aws/v1 and select the AMI with amiSelectorTerms (e.g. - alias: al2023@latest)',
      },
    ]);
  });

  it('reports a YAML syntax error against its document and still checks the others', () => {
    const text = `${pool('a', '  weight: 0\n')}---\nkind: [unclosed\n---\n${pool('c')}`;
    const problems = problemsOf(text);
    expect(problems.map((p) => [p.documentIndex, p.path])).toEqual([
      [0, 'spec.weight'],
      [1, ''],
    ]);
    expect(problems[1]?.message).toMatch(/^YAML syntax error at line \d+ of the document: .+; fix the YAML$/);
  });

  it('can require metadata on every object, as the runtime does', () => {
    const text = 'apiVersion: v1\nkind: List\nitems: []\n';
    expect(parseManifests(text)).toEqual([{ apiVersion: 'v1', kind: 'List', items: [] }]);
    expect(() => parseManifests(text, { requireMetadata: true })).toThrow(
      /document 0: invalid List "\(unnamed\)":\n {4}- metadata: is required: add metadata with a name/,
    );
  });
});
