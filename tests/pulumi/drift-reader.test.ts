/**
 * The drift preview's live read, through the controller's own client (ClientNodeApi) against a local fake API
 * server. Run in a tsx child process, as a Pulumi program would run it: jest's module system cannot follow the
 * reader's on-demand ESM import.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

jest.setTimeout(60_000);

const nodeClaim = {
  metadata: { name: 'workshop-abc12', labels: { 'karpenter.sh/nodepool': 'workshop' } },
  spec: {
    requirements: [],
    nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: 'default' },
  },
  status: { nodeName: 'ip-10-0-1-2' },
};

let server: Server;
let url = '';
const paths: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({ kind: 'NodeClaimList', metadata: { resourceVersion: '7' }, items: [nodeClaim] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function runReader(server: string): Promise<{ stdout: string; stderr: string }> {
  const kubeconfig = JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'c',
    // client-node only speaks plain HTTP with TLS verification off.
    clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    users: [{ name: 'u', user: { token: 't' } }],
  });
  const source = `
    const { kubeconfigReader } = require('./provider/drift-preview');
    kubeconfigReader(${JSON.stringify(kubeconfig)})().then(
      (items) => console.log(JSON.stringify(items)),
      (err) => { console.error(String(err)); process.exit(2); },
    );`;
  const root = join(__dirname, '..', '..');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [require.resolve('tsx/cli'), '-e', source],
      { cwd: root, timeout: 55_000 },
      (_e, stdout, stderr) => resolve({ stdout, stderr }),
    );
  });
}

it('lists NodeClaims from the cluster in the kubeconfig, with their type meta', async () => {
  const { stdout, stderr } = await runReader(url);
  expect(stderr).not.toMatch(/Error/);
  expect(paths).toContain('/apis/karpenter.sh/v1/nodeclaims');
  expect(JSON.parse(stdout)).toEqual([{ apiVersion: 'karpenter.sh/v1', kind: 'NodeClaim', ...nodeClaim }]);
});
