/**
 * Why each node was last passed over by disruption: the answer to "why wasn't this node consolidated?", shown by
 * `explain node` and, when it changes, as a `DisruptionBlocked` Event on the Node for `kubectl describe node`.
 */
import type { EventRecorder } from '../../events/recorder';
import type { StateNode } from '../../state/cluster-state';

/** Losing the turn to another node blocks nothing: no Event for it. */
export const ANOTHER_FIRST = 'another node was disrupted first';
export const PAUSED_PREFIX = 'disruption paused: ';

export class Explanations {
  readonly byNode = new Map<string, string>();

  constructor(private readonly recorder: EventRecorder) {}

  /** Replace the explanations; an Event for each node whose reason changed, without flooding on every poll. */
  publish(next: Map<string, string>, stateNodes: StateNode[]): void {
    for (const n of stateNodes) {
      const reason = next.get(n.name);
      if (reason === undefined || reason === ANOTHER_FIRST || !n.node) continue;
      // A pause of all disruption is not about this node (explain still shows it), and the pause comes and goes
      // with every provisioning round: an Event per node for it is a write per node per round.
      if (reason.startsWith(PAUSED_PREFIX)) continue;
      if (reason === this.byNode.get(n.name)) continue;
      this.recorder.normal(n.node, 'DisruptionBlocked', `Not disrupted: ${reason}`);
    }
    this.byNode.clear();
    for (const [name, reason] of next) this.byNode.set(name, reason);
  }
}
