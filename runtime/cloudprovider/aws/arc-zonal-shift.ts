/**
 * A small client for ARC zonal shift's GetManagedResource (the SDK's client-arc-zonal-shift is not a dependency):
 * REST-JSON `GET /managedresources/{resourceIdentifier}` on https://arc-zonal-shift.<region>.amazonaws.com,
 * SigV4-signed for the `arc-zonal-shift` service with the default credential chain, as botocore's model
 * (arc-zonal-shift 2022-10-30) describes it.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { defaultProvider } from '@aws-sdk/credential-provider-node';

/** The signing name and endpoint prefix. */
export const ARC_ZONAL_SHIFT_SERVICE = 'arc-zonal-shift';

/** One of `zonalShifts[]` (ZonalShiftInResource), with the fields karpenter-ts reads. */
export interface ZonalShiftInResource {
  zonalShiftId: string;
  /** The availability zone ID traffic is moved away from. */
  awayFrom: string;
  appliedStatus: string;
  /** ms since the epoch (the wire carries epoch seconds). */
  expiryTime: number;
  startTime?: number;
  comment?: string;
}

export interface ManagedResource {
  arn?: string;
  name?: string;
  zonalShifts: ZonalShiftInResource[];
}

/** An error answer of the ARC API: its code (AccessDeniedException, ResourceNotFoundException ...) and status. */
export class ArcZonalShiftError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ArcZonalShiftError';
  }
}

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export interface ArcZonalShiftClientOptions {
  region: string;
  /** Another endpoint (an emulator, a local test server). @default https://arc-zonal-shift.<region>.amazonaws.com */
  endpoint?: string;
  /** @default the default AWS credential chain (IRSA, Pod Identity, environment ...) */
  credentials?: Credentials | (() => Promise<Credentials>);
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape SignatureV4 takes. */
class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    return createHmac('sha256', typeof this.secret === 'string' ? this.secret : toBytes(this.secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/** A REST-JSON timestamp (epoch seconds, possibly fractional; an ISO string tolerated) as ms. */
function epochMs(v: unknown): number {
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

function parseShift(raw: unknown): ZonalShiftInResource | undefined {
  const s = raw as Record<string, unknown>;
  if (typeof s.awayFrom !== 'string' || typeof s.appliedStatus !== 'string') return undefined;
  const expiryTime = epochMs(s.expiryTime);
  if (Number.isNaN(expiryTime)) return undefined;
  const startTime = epochMs(s.startTime);
  return {
    zonalShiftId: typeof s.zonalShiftId === 'string' ? s.zonalShiftId : '',
    awayFrom: s.awayFrom,
    appliedStatus: s.appliedStatus,
    expiryTime,
    ...(Number.isNaN(startTime) ? {} : { startTime }),
    ...(typeof s.comment === 'string' ? { comment: s.comment } : {}),
  };
}

export class ArcZonalShiftClient {
  private readonly signer: SignatureV4;
  private readonly url: URL;

  constructor(opts: ArcZonalShiftClientOptions) {
    this.url = new URL(opts.endpoint ?? `https://${ARC_ZONAL_SHIFT_SERVICE}.${opts.region}.amazonaws.com`);
    this.signer = new SignatureV4({
      service: ARC_ZONAL_SHIFT_SERVICE,
      region: opts.region,
      credentials: opts.credentials ?? defaultProvider(),
      sha256: NodeSha256,
    });
  }

  /** GetManagedResource: the resource (a cluster ARN) as ARC knows it, with its zonal shifts. */
  async getManagedResource(resourceIdentifier: string): Promise<ManagedResource> {
    const base = this.url.pathname.replace(/\/$/, '');
    const request = {
      method: 'GET',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port ? { port: Number(this.url.port) } : {}),
      path: `${base}/managedresources/${encodeURIComponent(resourceIdentifier)}`,
      query: {},
      headers: { host: this.url.host, accept: 'application/json' },
    };
    const signed = await this.signer.sign(request);
    const res = await fetch(`${this.url.protocol}//${this.url.host}${request.path}`, {
      method: 'GET',
      headers: signed.headers,
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // A non-JSON answer (a proxy's error page) is reported by its status below.
    }
    if (!res.ok) {
      const type =
        res.headers.get('x-amzn-errortype') ??
        (typeof body.__type === 'string' ? body.__type : undefined) ??
        (typeof body.code === 'string' ? body.code : `HTTP${res.status}`);
      const code = type.split(':')[0]?.split('#').pop() ?? type;
      const message = typeof body.message === 'string' ? body.message : text.slice(0, 200);
      throw new ArcZonalShiftError(code, res.status, `${code}: ${message}`);
    }
    const shifts = Array.isArray(body.zonalShifts) ? body.zonalShifts : [];
    return {
      ...(typeof body.arn === 'string' ? { arn: body.arn } : {}),
      ...(typeof body.name === 'string' ? { name: body.name } : {}),
      zonalShifts: shifts.map(parseShift).filter((s): s is ZonalShiftInResource => s !== undefined),
    };
  }
}
