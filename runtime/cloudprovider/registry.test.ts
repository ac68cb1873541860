import pino from 'pino';
import { SimClock } from '../clock/sim-clock';
import { MemoryApiServer } from '../kube/memory/memory-api-server';
import { loadSettings } from '../settings';
import { capacitySettingsOf, createCloudProvider } from './registry';
import { SimulatedCloud } from './simulated/simulated-cloud';

describe('the cloud provider registry', () => {
  it('hands VM_MEMORY_OVERHEAD_PERCENT and RESERVED_ENIS to the provider it builds', async () => {
    const settings = loadSettings({
      CLOUD_PROVIDER: 'simulated',
      VM_MEMORY_OVERHEAD_PERCENT: '0.05',
      RESERVED_ENIS: '2',
    });
    expect(capacitySettingsOf(settings)).toEqual({ vmMemoryOverheadPercent: 0.05, reservedENIs: 2 });
    const clock = new SimClock(0);
    const { cloud } = await createCloudProvider({
      api: new MemoryApiServer({ clock }),
      clock,
      logger: pino({ level: 'silent' }),
      settings,
    });
    expect(cloud).toBeInstanceOf(SimulatedCloud);
    expect((cloud as SimulatedCloud).capacity).toEqual({ vmMemoryOverheadPercent: 0.05, reservedENIs: 2 });
  });
});
