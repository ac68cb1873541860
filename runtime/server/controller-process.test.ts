import { RealClock } from '../clock/clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { createLogger } from '../logging';
import { loadSettings } from '../settings';
import { CLOUD_PROVIDER_FACTORIES } from '../cloudprovider/registry';
import { ControllerProcess } from './controller-process';

const logger = createLogger('silent');

function settings(extra: Record<string, string> = {}) {
  return loadSettings({ CLOUD_PROVIDER: 'simulated', METRICS_PORT: '0', HEALTH_PROBE_PORT: '0', ...extra });
}

async function status(port: number, path: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('controller process', () => {
  it('of two replicas on one API, only the Lease holder acts; the other takes over on graceful shutdown', async () => {
    const api = new MemoryApiServer({ clock: new RealClock() });
    const start = (identity: string) =>
      ControllerProcess.start({ settings: settings(), logger, api, identity, host: '127.0.0.1' });
    const a = await start('replica-a');
    await eventually(() => a.isLeader, 2_000);
    const b = await start('replica-b');
    try {
      // Both are ready (readiness does not depend on leadership), only one acts.
      expect(await status(a.healthProbePort, '/readyz')).toBe(200);
      expect(await status(b.healthProbePort, '/readyz')).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect([a.isLeader, b.isLeader]).toEqual([true, false]);
      expect(
        (await api.get(Kinds.Lease, 'karpenter-leader-election', 'kube-system'))?.spec.holderIdentity,
      ).toBe('replica-a');

      await a.shutdown();
      // Released, so b takes over at its next retry (2 s) rather than after the 15 s lease duration.
      expect(
        (await api.get(Kinds.Lease, 'karpenter-leader-election', 'kube-system'))?.spec.holderIdentity,
      ).toBe('');
      await expect(fetch(`http://127.0.0.1:${a.healthProbePort}/healthz`)).rejects.toThrow();
      await eventually(() => b.isLeader, 3_000);
      expect(
        (await api.get(Kinds.Lease, 'karpenter-leader-election', 'kube-system'))?.spec.holderIdentity,
      ).toBe('replica-b');
    } finally {
      await a.shutdown();
      await b.shutdown();
    }
  }, 15_000);

  it('without leader election, acts at once and is not ready while shutting down', async () => {
    const api = new MemoryApiServer({ clock: new RealClock() });
    const p = await ControllerProcess.start({
      settings: settings({ LEADER_ELECT: 'false' }),
      logger,
      api,
      host: '127.0.0.1',
    });
    expect(p.isLeader).toBe(true);
    expect(await status(p.healthProbePort, '/readyz')).toBe(200);
    expect(await status(p.metricsPort, '/metrics')).toBe(200);
    await p.shutdown();
    expect(p.isLeader).toBe(false);
    expect(await api.get(Kinds.Lease, 'karpenter-leader-election', 'kube-system')).toBeUndefined();
  });

  it('fails to start with a clear error when the cluster lacks the CRDs or is unreachable', async () => {
    const broken = new MemoryApiServer({ clock: new RealClock() });
    broken.list = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.1:443'));
    await expect(
      ControllerProcess.start({ settings: settings(), logger, api: broken, host: '127.0.0.1' }),
    ).rejects.toThrow('ECONNREFUSED');
  });

  it("keeps node class status current through the provider's refresh while it acts", async () => {
    const original = CLOUD_PROVIDER_FACTORIES.simulated;
    const refreshNodeClasses = jest.fn(() => Promise.resolve());
    CLOUD_PROVIDER_FACTORIES.simulated = async (ctx) => ({ ...(await original(ctx)), refreshNodeClasses });
    const api = new MemoryApiServer({ clock: new RealClock() });
    const p = await ControllerProcess.start({
      settings: settings({ LEADER_ELECT: 'false' }),
      logger,
      api,
      host: '127.0.0.1',
    });
    try {
      await eventually(() => refreshNodeClasses.mock.calls.length === 1, 2_000);
    } finally {
      await p.shutdown();
      CLOUD_PROVIDER_FACTORIES.simulated = original;
    }
  });
});
