/**
 * The ARC zonal shift client against a local HTTP server answering in the shapes of botocore's arc-zonal-shift
 * model (moto does not emulate ARC): the request is SigV4-signed for arc-zonal-shift and the ARN is URL-encoded in
 * the path; errors keep their code.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EKSClient } from '@aws-sdk/client-eks';
import pino from 'pino';
import { ArcZonalShiftClient, ArcZonalShiftError } from './arc-zonal-shift';
import { createArcZonalShiftSource } from './zonal-shift-source';

const ARN = 'arn:aws:eks:us-east-1:123456789012:cluster/lab';
const EXPIRY_S = 1_900_000_000;

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}

let server: Server;
let endpoint: string;
let seen: Seen[] = [];
let answer: { status: number; body: unknown; headers?: Record<string, string> };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
});

const client = () =>
  new ArcZonalShiftClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });

const resource = {
  arn: ARN,
  name: 'lab',
  appliedWeights: { use1_az1: 0, use1_az2: 1 },
  zonalShifts: [
    {
      appliedStatus: 'APPLIED',
      zonalShiftId: 'zs-1',
      resourceIdentifier: ARN,
      awayFrom: 'use1-az1',
      expiryTime: EXPIRY_S,
      startTime: EXPIRY_S - 3600,
      comment: 'AZ impaired',
    },
    {
      appliedStatus: 'NOT_APPLIED',
      zonalShiftId: 'zs-2',
      resourceIdentifier: ARN,
      awayFrom: 'use1-az2',
      expiryTime: EXPIRY_S,
      startTime: EXPIRY_S - 3600,
      comment: 'practice run',
    },
  ],
};

describe('ArcZonalShiftClient.getManagedResource', () => {
  it('GETs /managedresources/{arn} URL-encoded, SigV4-signed for arc-zonal-shift, and reads the shifts', async () => {
    answer = { status: 200, body: resource };
    const got = await client().getManagedResource(ARN);
    expect(seen).toHaveLength(1);
    const [req] = seen as [Seen];
    expect(req.method).toBe('GET');
    expect(req.url).toBe(`/managedresources/${encodeURIComponent(ARN)}`);
    expect(req.url).toContain('arn%3Aaws%3Aeks%3Aus-east-1%3A123456789012%3Acluster%2Flab');
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/arc-zonal-shift\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(req.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(got.arn).toBe(ARN);
    expect(got.zonalShifts).toEqual([
      {
        zonalShiftId: 'zs-1',
        awayFrom: 'use1-az1',
        appliedStatus: 'APPLIED',
        expiryTime: EXPIRY_S * 1000,
        startTime: (EXPIRY_S - 3600) * 1000,
        comment: 'AZ impaired',
      },
      expect.objectContaining({ awayFrom: 'use1-az2', appliedStatus: 'NOT_APPLIED' }),
    ]);
  });

  it('turns an error answer into ArcZonalShiftError with its code', async () => {
    answer = {
      status: 404,
      body: { message: 'resource not registered' },
      headers: { 'x-amzn-errortype': 'ResourceNotFoundException:http://internal.amazon.com/' },
    };
    const err = (await client()
      .getManagedResource(ARN)
      .catch((e: unknown) => e)) as ArcZonalShiftError;
    expect(err).toBeInstanceOf(ArcZonalShiftError);
    expect(err.code).toBe('ResourceNotFoundException');
    expect(err.status).toBe(404);
    expect(err.message).toBe('ResourceNotFoundException: resource not registered');
  });
});

describe('createArcZonalShiftSource', () => {
  const logger = pino({ level: 'silent' });
  const eks = { send: () => Promise.resolve({ cluster: { arn: ARN } }) } as unknown as EKSClient;
  const ec2 = {
    send: () =>
      Promise.resolve({
        AvailabilityZones: [
          { ZoneId: 'use1-az1', ZoneName: 'us-east-1c' },
          { ZoneId: 'use1-az2', ZoneName: 'us-east-1a' },
        ],
      }),
  } as unknown as EC2Client;

  it("maps each shift's zone ID to this account's zone name", async () => {
    answer = { status: 200, body: resource };
    const source = await createArcZonalShiftSource({ arc: client(), ec2, eks, clusterName: 'lab', logger });
    expect(source.clusterArn).toBe(ARN);
    expect(await source.zonalShifts()).toEqual([
      {
        zoneId: 'use1-az1',
        zone: 'us-east-1c',
        appliedStatus: 'APPLIED',
        expiresAt: EXPIRY_S * 1000,
        shiftId: 'zs-1',
      },
      {
        zoneId: 'use1-az2',
        zone: 'us-east-1a',
        appliedStatus: 'NOT_APPLIED',
        expiresAt: EXPIRY_S * 1000,
        shiftId: 'zs-2',
      },
    ]);
  });

  it('stops the start when the cluster is not registered with zonal shift, naming the setting and the fix', async () => {
    answer = {
      status: 403,
      body: { message: 'not authorized' },
      headers: { 'x-amzn-errortype': 'AccessDeniedException' },
    };
    await expect(
      createArcZonalShiftSource({ arc: client(), ec2, eks, clusterName: 'lab', logger }),
    ).rejects.toThrow(
      /^ENABLE_ZONAL_SHIFT=true: cluster arn:aws:eks:us-east-1:123456789012:cluster\/lab not registered to Zonal Shift .*AccessDeniedException: not authorized.*zonal-shift-config enabled=true.*arc-zonal-shift:GetManagedResource.*unset ENABLE_ZONAL_SHIFT$/,
    );
  });
});
