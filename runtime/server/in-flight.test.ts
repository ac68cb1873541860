import { SimClock } from '../clock/sim-clock';
import { Kinds } from '../kube/kinds';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { trackInFlight } from './in-flight';

describe('trackInFlight', () => {
  it('counts API calls under way and drains when they settle', async () => {
    const api = new MemoryApiServer({ clock: new SimClock() });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = Object.assign(Object.create(api) as MemoryApiServer, {
      list: async (...args: Parameters<MemoryApiServer['list']>) => {
        await gate;
        return api.list(...args);
      },
    });
    const tracked = trackInFlight(slow);
    const call = tracked.api.list(Kinds.Node);
    expect(tracked.pending).toBe(1);
    expect(await tracked.drain(10)).toBe(false);
    release();
    expect(await tracked.drain(1000)).toBe(true);
    await call;
    expect(tracked.pending).toBe(0);
  });
});
