/**
 * The interruption queue's messages: EventBridge events that EC2 and AWS Health route to SQS. `parseMessage` turns
 * a message body into one of the five kinds the controller acts on, or says why it will not act (`unknown`: a
 * well-formed event it does not handle; `malformed`: not an event at all). It never throws: a bad message must be
 * logged, counted and deleted, never crash the controller.
 */
import { z } from 'zod';

/** EventBridge `source` values of the events the queue receives. */
export const EventSources = {
  ec2: 'aws.ec2',
  health: 'aws.health',
} as const;

/** EventBridge `detail-type` values, exactly as the queue's rules must match them. */
export const DetailTypes = {
  spotInterruption: 'EC2 Spot Instance Interruption Warning',
  rebalanceRecommendation: 'EC2 Instance Rebalance Recommendation',
  stateChange: 'EC2 Instance State-change Notification',
  scheduledChange: 'AWS Health Event',
  capacityReservationInterruption: 'EC2 Capacity Reservation Instance Interruption Warning',
} as const;

/** The kinds the controller acts on; the keys of `DetailTypes`. */
export type ActionableKind = keyof typeof DetailTypes;
export type MessageKind = ActionableKind | 'unknown' | 'malformed';
export const MESSAGE_KINDS: readonly MessageKind[] = [
  ...(Object.keys(DetailTypes) as ActionableKind[]),
  'unknown',
  'malformed',
];

/** Instance states that mean the node is going away (others, such as running, are ignored). */
export const DRAINING_STATES = ['stopping', 'stopped', 'shutting-down', 'terminated'] as const;
export type DrainingState = (typeof DRAINING_STATES)[number];

/** The envelope fields every parsed event keeps, for logs and latency. */
export interface EventMeta {
  id: string;
  source: string;
  detailType: string;
  /** When the event was emitted (ms since epoch), if the envelope said. */
  time?: number;
  region?: string;
  account?: string;
}

interface Base {
  meta: EventMeta;
  /** EC2 instance ids the event is about. */
  instanceIds: string[];
}

export type InterruptionMessage =
  | (Base & { kind: 'spotInterruption'; instanceAction?: string })
  | (Base & { kind: 'rebalanceRecommendation' })
  | (Base & { kind: 'stateChange'; state: DrainingState })
  | (Base & { kind: 'scheduledChange'; eventTypeCode?: string })
  | (Base & { kind: 'capacityReservationInterruption'; instanceAction?: string })
  | { kind: 'unknown'; reason: string; meta: EventMeta }
  | { kind: 'malformed'; reason: string };

/** A message the controller may act on. */
export type ActionableMessage = Extract<InterruptionMessage, { kind: ActionableKind }>;

export function isActionable(message: InterruptionMessage): message is ActionableMessage {
  return message.kind !== 'unknown' && message.kind !== 'malformed';
}

// `resources` is not validated: nothing here reads it, and AWS's own samples are not consistent about its type.
const envelopeSchema = z.object({
  version: z.string(),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
});

const instanceId = z.string().min(1);

const instanceActionDetail = z.object({
  'instance-id': instanceId,
  'instance-action': z.string().optional(),
});

const rebalanceDetail = z.object({ 'instance-id': instanceId });

const stateChangeDetail = z.object({ 'instance-id': instanceId, state: z.string() });

const healthDetail = z.object({
  service: z.string(),
  eventTypeCategory: z.string(),
  eventTypeCode: z.string().optional(),
  affectedEntities: z.array(z.object({ entityValue: z.string() })).optional(),
});

const EC2_INSTANCE_ID = /^i-[0-9a-f]+$/;

function issues(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

/** Parse one queue message body. Total: every input gives a message, never an exception. */
export function parseMessage(body: string | undefined): InterruptionMessage {
  try {
    return parseBody(body);
  } catch (err) {
    // Defence in depth: the parser is written not to throw, but a bad message must never stop the controller.
    return {
      kind: 'malformed',
      reason: `parser failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

function parseBody(body: string | undefined): InterruptionMessage {
  if (body === undefined || body.trim() === '') return { kind: 'malformed', reason: 'empty message body' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { kind: 'malformed', reason: `not JSON: ${(err as Error).message}` };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    return { kind: 'malformed', reason: `not an EventBridge event: ${issues(envelope.error)}` };
  }
  const e = envelope.data;
  const time = e.time === undefined ? undefined : Date.parse(e.time);
  const meta: EventMeta = {
    id: e.id,
    source: e.source,
    detailType: e['detail-type'],
    ...(time !== undefined && !Number.isNaN(time) ? { time } : {}),
    ...(e.region !== undefined ? { region: e.region } : {}),
    ...(e.account !== undefined ? { account: e.account } : {}),
  };
  const unknown = (reason: string): InterruptionMessage => ({ kind: 'unknown', reason, meta });
  if (e.version !== '0') return unknown(`unsupported event version "${e.version}"`);
  const kind = kindOf(e.source, e['detail-type']);
  if (!kind) return unknown(`no handler for source "${e.source}", detail-type "${e['detail-type']}"`);
  const bad = (err: z.ZodError): InterruptionMessage => ({
    kind: 'malformed',
    reason: `"${e['detail-type']}" event ${e.id} has an invalid detail: ${issues(err)}`,
  });

  switch (kind) {
    case 'spotInterruption':
    case 'capacityReservationInterruption': {
      const d = instanceActionDetail.safeParse(e.detail);
      if (!d.success) return bad(d.error);
      const action = d.data['instance-action'];
      return {
        kind,
        meta,
        instanceIds: [d.data['instance-id']],
        ...(action !== undefined ? { instanceAction: action } : {}),
      };
    }
    case 'rebalanceRecommendation': {
      const d = rebalanceDetail.safeParse(e.detail);
      if (!d.success) return bad(d.error);
      return { kind, meta, instanceIds: [d.data['instance-id']] };
    }
    case 'stateChange': {
      const d = stateChangeDetail.safeParse(e.detail);
      if (!d.success) return bad(d.error);
      const state = d.data.state.toLowerCase();
      if (!isDrainingState(state)) return unknown(`instance state "${d.data.state}" needs no action`);
      return { kind, meta, instanceIds: [d.data['instance-id']], state };
    }
    case 'scheduledChange': {
      const d = healthDetail.safeParse(e.detail);
      if (!d.success) return bad(d.error);
      if (d.data.service !== 'EC2' || d.data.eventTypeCategory !== 'scheduledChange') {
        return unknown(
          `AWS Health event for service "${d.data.service}", category "${d.data.eventTypeCategory}" needs no action`,
        );
      }
      // Affected entities of an EC2 event are usually instances; anything else (a volume, a host) is not ours.
      const instanceIds = (d.data.affectedEntities ?? [])
        .map((a) => a.entityValue)
        .filter((v) => EC2_INSTANCE_ID.test(v));
      const code = d.data.eventTypeCode;
      return { kind, meta, instanceIds, ...(code !== undefined ? { eventTypeCode: code } : {}) };
    }
  }
}

function kindOf(source: string, detailType: string): ActionableKind | undefined {
  for (const [kind, type] of Object.entries(DetailTypes) as [ActionableKind, string][]) {
    if (type !== detailType) continue;
    const want = kind === 'scheduledChange' ? EventSources.health : EventSources.ec2;
    return source === want ? kind : undefined;
  }
  return undefined;
}

function isDrainingState(state: string): state is DrainingState {
  return (DRAINING_STATES as readonly string[]).includes(state);
}

/** The instance id at the end of a providerID (`aws:///us-west-2a/i-0123...`), or undefined. */
export function instanceIdOf(providerID: string | undefined): string | undefined {
  if (!providerID) return undefined;
  const last = providerID.slice(providerID.lastIndexOf('/') + 1);
  return last.startsWith('i-') ? last : undefined;
}
