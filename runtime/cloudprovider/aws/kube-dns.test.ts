import pino from 'pino';
import { ApiError, type KubeApi } from '../../kube/api';
import { Kinds } from '../../kube/kinds';
import { MemoryApiServer } from '../../kube/memory/memory-api-server';
import type { Service } from '../../kube/objects';
import { withOverrides } from '../../kube/testing';
import { KUBE_DNS_TTL_MS, KubeDnsDiscovery } from './kube-dns';
import { ManualClock, silentLogger } from './testing';

function kubeDns(clusterIP: string, namespace = 'kube-system'): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace },
    spec: { clusterIP, clusterIPs: [clusterIP] },
  };
}

/** The in-memory API server, counting the GETs of Services. */
function counted(api: KubeApi): { api: KubeApi; gets: () => number } {
  let gets = 0;
  return {
    api: withOverrides(api, {
      get: (kind, name, namespace) => {
        if (kind === Kinds.Service) gets++;
        return api.get(kind, name, namespace);
      },
    }),
    gets: () => gets,
  };
}

describe('KubeDnsDiscovery', () => {
  it("reads kube-system/kube-dns's ClusterIP once and reuses it until the TTL passes", async () => {
    const clock = new ManualClock();
    const server = new MemoryApiServer({ clock });
    await server.create(Kinds.Service, kubeDns('172.20.0.10'));
    // A Service of that name elsewhere is not the cluster DNS.
    await server.create(Kinds.Service, kubeDns('10.9.9.9', 'default'));
    const { api, gets } = counted(server);
    const dns = new KubeDnsDiscovery(api, clock, silentLogger);
    await expect(dns.clusterIP()).resolves.toBe('172.20.0.10');
    await expect(dns.clusterIP()).resolves.toBe('172.20.0.10');
    expect(gets()).toBe(1);
    clock.advance(KUBE_DNS_TTL_MS);
    await expect(dns.clusterIP()).resolves.toBe('172.20.0.10');
    expect(gets()).toBe(2);
  });

  it('falls back to nothing when the Service is absent, and sees one created later once the TTL passes', async () => {
    const clock = new ManualClock();
    const server = new MemoryApiServer({ clock });
    const { api, gets } = counted(server);
    const dns = new KubeDnsDiscovery(api, clock, silentLogger);
    await expect(dns.clusterIP()).resolves.toBeUndefined();
    await expect(dns.clusterIP()).resolves.toBeUndefined();
    // The absence is cached too: launches do not each ask again.
    expect(gets()).toBe(1);
    await server.create(Kinds.Service, kubeDns('fd00:10:96::a'));
    clock.advance(KUBE_DNS_TTL_MS);
    await expect(dns.clusterIP()).resolves.toBe('fd00:10:96::a');
  });

  it('ignores a headless Service (ClusterIP None)', async () => {
    const clock = new ManualClock();
    const server = new MemoryApiServer({ clock });
    await server.create(Kinds.Service, kubeDns('None'));
    await expect(new KubeDnsDiscovery(server, clock, silentLogger).clusterIP()).resolves.toBeUndefined();
  });

  it('never throws when the read fails (RBAC missing), and says what to check', async () => {
    const clock = new ManualClock();
    const forbidden = withOverrides(new MemoryApiServer({ clock }), {
      get: () => Promise.reject(new ApiError(403, 'Forbidden', 'services "kube-dns" is forbidden')),
    });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const dns = new KubeDnsDiscovery(forbidden, clock, logger);
    await expect(dns.clusterIP()).resolves.toBeUndefined();
    clock.advance(KUBE_DNS_TTL_MS);
    await expect(dns.clusterIP()).resolves.toBeUndefined();
    // Logged once while the answer stays the same.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('services \\"kube-dns\\" is forbidden');
    expect(lines[0]).toContain('get services/kube-dns in kube-system');
  });
});
