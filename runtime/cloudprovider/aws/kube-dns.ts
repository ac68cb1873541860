/**
 * The cluster DNS nodes are told when their node class's kubelet sets none: the ClusterIP of the kube-dns Service in
 * kube-system, as upstream's operator discovers it. Read through the provider's kube client and cached; a cluster
 * without it (custom DNS setups), a headless one, or a read that fails leaves nodes on their AMI's own default.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/clock';
import type { KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { TtlCache } from './ttl-cache';

export const KUBE_DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' } as const;
/** How long an answer, found or not, is reused: a Service created or changed later is seen after this. */
export const KUBE_DNS_TTL_MS = 5 * 60_000;

export class KubeDnsDiscovery {
  private readonly cache: TtlCache<{ ip?: string }>;
  /** The last answer logged, so a steady one is logged once, not every TTL. */
  private logged: string | undefined;

  constructor(
    private readonly api: KubeApi,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    this.cache = new TtlCache(clock, KUBE_DNS_TTL_MS);
  }

  /** The kube-dns ClusterIP, or undefined when there is none to use. Never throws. */
  async clusterIP(): Promise<string | undefined> {
    return (await this.cache.getOrLoad('kube-dns', () => this.load())).ip;
  }

  private async load(): Promise<{ ip?: string }> {
    const { namespace, name } = KUBE_DNS_SERVICE;
    let ip: string | undefined;
    let why: string;
    try {
      const svc = await this.api.get(Kinds.Service, name, namespace);
      const clusterIP = svc?.spec?.clusterIP;
      if (clusterIP && isIP(clusterIP)) ip = clusterIP;
      why = !svc ? 'not found' : `has no usable ClusterIP (${clusterIP ?? 'none'})`;
    } catch (err) {
      why = `could not be read (${err instanceof Error ? err.message : String(err)}): check that the controller may get services/kube-dns in kube-system`;
    }
    const outcome = ip ?? why;
    if (outcome !== this.logged) {
      this.logged = outcome;
      if (ip)
        this.logger.info({ kubeDnsIP: ip }, 'discovered the kube-dns Service: nodes use it as cluster DNS');
      else
        this.logger.info(
          { service: `${namespace}/${name}` },
          `kube-dns Service ${why}; nodes use their AMI's cluster DNS unless the EC2NodeClass sets kubelet.clusterDNS`,
        );
    }
    return ip ? { ip } : {};
  }
}
