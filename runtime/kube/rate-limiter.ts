/**
 * A token bucket for requests to the API server, as client-go's client-side limiter: up to `burst` requests at
 * once, refilled at `qps` per second; a request with no token waits for one, in arrival order. It keeps a busy
 * controller (a large consolidation, a mass drain) from flooding the API server and tripping its priority and
 * fairness limits (KUBE_CLIENT_QPS, KUBE_CLIENT_BURST).
 */
export interface TokenBucketOptions {
  qps: number;
  burst: number;
  /** Milliseconds, monotonic. @default performance.now */
  now?: () => number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** The tail of the waiting line: each acquire waits for the one before it. */
  private line: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: TokenBucketOptions) {
    if (!(opts.qps > 0) || !(opts.burst >= 1)) throw new Error('a token bucket needs qps > 0 and burst ≥ 1');
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.tokens = opts.burst;
    this.last = this.now();
  }

  /** Resolves once a token is taken. */
  acquire(): Promise<void> {
    const turn = this.line.then(() => this.take());
    this.line = turn;
    return turn;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((t - this.last) / 1000) * this.opts.qps);
    this.last = t;
  }

  private async take(): Promise<void> {
    this.refill();
    while (this.tokens < 1) {
      await this.sleep(Math.ceil(((1 - this.tokens) / this.opts.qps) * 1000));
      this.refill();
    }
    this.tokens -= 1;
  }
}
