/**
 * client-node's applyToFetchOptions builds a new https.Agent, without keep-alive, for every request: each call
 * paid a TCP connection, a TLS handshake and a TLS context that parses the CA bundle again. At a scale-up's
 * thousand writes that was most of the controller's CPU and memory. One keep-alive agent per TLS identity is
 * reused instead, rebuilt only when what the kubeconfig yields changes (a rotated client certificate, say).
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';

type AgentOptions = https.AgentOptions & Record<string, unknown>;

/** The TLS material and checks an agent carries: what makes two agents interchangeable. */
const IDENTITY = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername', 'ciphers'];

function fingerprint(kind: string, options: AgentOptions): string {
  const hash = createHash('sha256').update(kind);
  for (const field of IDENTITY) {
    const value = options[field];
    const parts = Array.isArray(value) ? value : [value];
    hash.update(`\0${field}=`);
    for (const part of parts) {
      if (Buffer.isBuffer(part)) hash.update(part);
      else hash.update(String(part ?? ''));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

export class AgentCache {
  private current: { key: string; agent: http.Agent } | undefined;

  /** The agent to send a request with, in place of the one client-node just made (`fresh`). */
  reuse<T>(fresh: T): T | http.Agent {
    // Proxy agents (and anything unexpected) are used as client-node made them.
    const Ctor = fresh instanceof http.Agent ? (fresh.constructor as typeof http.Agent) : undefined;
    if (!Ctor || (Ctor !== https.Agent && Ctor !== http.Agent)) return fresh;
    const options = (fresh as unknown as { options: AgentOptions }).options;
    const key = fingerprint(Ctor.name, options);
    if (this.current?.key !== key) {
      this.current?.agent.destroy();
      this.current = { key, agent: new Ctor({ ...options, keepAlive: true }) };
    }
    return this.current.agent;
  }

  /** Closes the pooled connections. */
  destroy(): void {
    this.current?.agent.destroy();
    this.current = undefined;
  }
}
