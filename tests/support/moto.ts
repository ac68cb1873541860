/**
 * moto (the AWS emulator) in server mode, for integration tests of the AWS cloud provider and the SQS
 * interruption controller.
 *
 * API (stable; other test suites depend on it):
 * - `startMoto(): Promise<MotoServer>` creates, once per machine, a Python venv with `moto[server]` pinned
 *   (scripts/moto-venv.sh, cached under `${KARPENTER_TS_CACHE:-$HOME/.cache/karpenter-ts}/moto-venv`), starts
 *   moto's server (through tests/support/moto_server.py, see below) on 127.0.0.1 with a free port, waits until it answers, and returns
 *   `{ endpoint, stop() }`. Each call starts its own server (own state). Call `stop()` in `afterAll`.
 *   `startMoto({ insufficientCapacity: ['spot:c5.large:us-east-1a'] })` makes CreateFleet answer
 *   InsufficientInstanceCapacity for those offerings (moto never runs out on its own).
 * - `motoAvailable(): string | undefined` returns why moto cannot run here (no python3), or undefined;
 *   `describeWithMoto(what)` is `describe`, or `describe.skip` with a warning saying why; where Python is
 *   installed the tests run.
 * - `motoClientConfig(endpoint)` is the config to pass to any AWS SDK v3 client (`new SQSClient(cfg)`):
 *   region us-east-1, static fake credentials, the emulator endpoint.
 * - `seedMotoForKarpenter(endpoint, opts)` provides what moto lacks or what discovery needs: the EKS/Bottlerocket
 *   public SSM AMI parameters (moto has none of the EKS ones and, like SSM, refuses writes under /aws/:
 *   moto_server.py lets PutParameter write /aws/service/eks/** and /aws/service/bottlerocket/** only, and we
 *   put them pointing at AMIs moto ships), a VPC with subnets in two zones and a security group tagged `karpenter.sh/discovery=<cluster>`.
 * - `resetMoto(endpoint)` wipes all emulator state (POST /moto-api/reset).
 *
 * moto has no Pricing API: tests use the committed static price table instead (see runtime/cloudprovider/aws).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

export const MOTO_REGION = 'us-east-1';

export interface MotoServer {
  /** e.g. http://127.0.0.1:40123 */
  endpoint: string;
  stop(): Promise<void>;
}

export interface MotoClientConfig {
  region: string;
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Why moto cannot run on this machine, or undefined when it can. */
export function motoAvailable(): string | undefined {
  const py = spawnSync(process.env.PYTHON ?? 'python3', ['--version'], { encoding: 'utf8' });
  if (py.error || py.status !== 0)
    return 'python3 not found: install Python 3 to run the moto integration tests';
  return undefined;
}

/**
 * `describe` when moto can run here, else `describe.skip` with a warning naming why and what is skipped; `within`
 * is the describe to use when moto can run (the integration project's describeWithCluster, say).
 */
export function describeWithMoto(what: string, within: jest.Describe = describe): jest.Describe {
  const unavailable = motoAvailable();
  if (unavailable) console.warn(`skipping ${what}: ${unavailable}`);
  return unavailable ? describe.skip : within;
}

/** Builds the venv if needed (minutes the first time, instant after) and returns its directory. */
export function ensureMotoVenv(): string {
  const res = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'moto-venv.sh')], {
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (res.status !== 0)
    throw new Error(`scripts/moto-venv.sh failed (${res.status}): ${res.stderr || res.error?.message}`);
  return res.stdout.trim().split('\n').pop() as string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswers(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms`);
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer. @default 30000 */
  timeoutMs?: number;
  /**
   * Offerings (`capacityType:instanceType:zone`) for which CreateFleet reports InsufficientInstanceCapacity
   * instead of launching (see moto_server.py). @default []
   */
  insufficientCapacity?: string[];
}

/** Starts a fresh moto server on 127.0.0.1 (own port, own state). */
export async function startMoto(opts: StartMotoOptions = {}): Promise<MotoServer> {
  const venv = ensureMotoVenv();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let stderr = '';
  const child = spawn(
    path.join(venv, 'bin', 'python'),
    [path.join(__dirname, 'moto_server.py'), '-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, KARPENTER_TS_MOTO_ICE: (opts.insufficientCapacity ?? []).join(',') },
    },
  );
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  try {
    await waitUntilAnswers(endpoint, child, opts.timeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`, { cause: err });
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** SDK client config for the emulator (fake static credentials; moto accepts any). */
export function motoClientConfig(endpoint: string): MotoClientConfig {
  return {
    region: MOTO_REGION,
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** Wipes every service's state in the emulator. */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
}

export interface SeedOptions {
  clusterName: string;
  /** Kubernetes minor for the AMI parameter paths. @default '1.33' */
  k8sVersion?: string;
  /** @default ['us-east-1a', 'us-east-1b'] */
  zones?: string[];
  /** Also create this IAM role (trusting ec2), for EC2NodeClass.spec.role. */
  nodeRoleName?: string;
}

export interface SeededMoto {
  vpcId: string;
  subnets: { id: string; zone: string }[];
  securityGroupId: string;
  /** SSM parameter name → AMI id it points at. */
  amiParameters: Record<string, string>;
  /** AMI ids by architecture (moto's built-in images). */
  amis: { x86_64: string; arm64: string };
}

const DISCOVERY_TAG = 'karpenter.sh/discovery';

/**
 * Seeds what the AWS provider discovers: subnets and a security group tagged `karpenter.sh/discovery=<cluster>`,
 * and the public SSM AMI parameters for AL2023 and Bottlerocket (moto has none of the EKS ones, so we inject
 * them with PutParameter, each pointing at an AMI moto ships for that architecture).
 */
export async function seedMotoForKarpenter(endpoint: string, opts: SeedOptions): Promise<SeededMoto> {
  const cfg = motoClientConfig(endpoint);
  const ec2 = new EC2Client(cfg);
  const ssm = new SSMClient(cfg);
  const zones = opts.zones ?? [`${MOTO_REGION}a`, `${MOTO_REGION}b`];
  const k8s = opts.k8sVersion ?? '1.33';
  const tags = [
    { Key: DISCOVERY_TAG, Value: opts.clusterName },
    { Key: 'Name', Value: `${opts.clusterName}-private` },
  ];
  try {
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = vpc.Vpc?.VpcId as string;
    const subnets: SeededMoto['subnets'] = [];
    for (const [i, zone] of zones.entries()) {
      const s = await ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: `10.0.${i * 16}.0/20`,
          AvailabilityZone: zone,
          TagSpecifications: [{ ResourceType: 'subnet', Tags: tags }],
        }),
      );
      subnets.push({ id: s.Subnet?.SubnetId as string, zone });
    }
    const sg = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${opts.clusterName}-node`,
        Description: 'karpenter-ts test nodes',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: tags }],
      }),
    );
    const amis = await pickMotoAmis(ec2);
    const amiParameters: Record<string, string> = {};
    for (const arch of ['x86_64', 'arm64'] as const) {
      amiParameters[
        `/aws/service/eks/optimized-ami/${k8s}/amazon-linux-2023/${arch}/standard/recommended/image_id`
      ] = amis[arch];
      amiParameters[`/aws/service/bottlerocket/aws-k8s-${k8s}/${arch}/latest/image_id`] = amis[arch];
    }
    for (const [name, value] of Object.entries(amiParameters)) {
      await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }));
    }
    if (opts.nodeRoleName) {
      const iam = new IAMClient(cfg);
      await iam.send(
        new CreateRoleCommand({
          RoleName: opts.nodeRoleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      );
      iam.destroy();
    }
    return { vpcId, subnets, securityGroupId: sg.GroupId as string, amiParameters, amis };
  } finally {
    ec2.destroy();
    ssm.destroy();
  }
}

async function pickMotoAmis(ec2: EC2Client): Promise<{ x86_64: string; arm64: string }> {
  const out = await ec2.send(new DescribeImagesCommand({}));
  const images = out.Images ?? [];
  const pick = (arch: string) => images.find((i) => i.Architecture === arch)?.ImageId;
  const x86 = pick('x86_64');
  const arm = pick('arm64') ?? x86;
  if (!x86 || !arm) throw new Error('moto returned no x86_64 image to alias');
  return { x86_64: x86, arm64: arm };
}
