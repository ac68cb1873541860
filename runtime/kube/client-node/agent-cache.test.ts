import { createServer, type Server } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { Kinds } from '../kinds';
import { AgentCache } from './agent-cache';
import { ClientNodeApi } from './client-node-api';

describe('AgentCache', () => {
  it('reuses one keep-alive agent per TLS identity, a new one when the identity changes', () => {
    const cache = new AgentCache();
    const first = cache.reuse(new https.Agent({ ca: Buffer.from('ca-1'), rejectUnauthorized: true }));
    const again = cache.reuse(new https.Agent({ ca: Buffer.from('ca-1'), rejectUnauthorized: true }));
    expect(again).toBe(first);
    expect((first as https.Agent & { keepAlive: boolean }).keepAlive).toBe(true);
    const rotated = cache.reuse(new https.Agent({ ca: Buffer.from('ca-2'), rejectUnauthorized: true }));
    expect(rotated).not.toBe(first);
    cache.destroy();
  });

  it('passes a proxy agent (any other class) through as client-node made it', () => {
    class ProxyAgent extends http.Agent {}
    const proxy = new ProxyAgent();
    expect(new AgentCache().reuse(proxy)).toBe(proxy);
    expect(new AgentCache().reuse(undefined)).toBeUndefined();
  });
});

describe('ClientNodeApi connections', () => {
  let server: Server;
  let connections = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ metadata: { name: 'n', resourceVersion: '1' } }));
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends sequential requests over one connection, not one connection (and handshake) each', async () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [
        {
          name: 't',
          server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          skipTLSVerify: true,
        },
      ],
      users: [{ name: 'u', token: 'abc' }],
      contexts: [{ name: 'c', cluster: 't', user: 'u' }],
      currentContext: 'c',
    });
    const api = new ClientNodeApi(kc);
    for (let i = 0; i < 5; i++) await api.get(Kinds.Node, 'n');
    expect(connections).toBe(1);
  });
});
