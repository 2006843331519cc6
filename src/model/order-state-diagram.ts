import type { OrderEventType } from './order-event.js';
import { ORDER_STATUSES, type OrderStatus, TERMINAL_ORDER_STATUSES } from './order-status.js';
import { ORDER_STATE_TABLE, type TransitionTarget } from './order-state-table.js';

/**
 * The order state machine as a Mermaid `stateDiagram-v2`, generated from the table so the
 * documentation cannot drift from the code. Ignored (late / duplicate) events are left out;
 * `$fill` and `$working` edges are drawn to each status they can resolve to.
 */
export function orderStateDiagram(): string {
  const edges = new Map<string, Set<string>>();
  const add = (from: OrderStatus, to: OrderStatus, label: string): void => {
    const key = `${from} --> ${to}`;
    const labels = edges.get(key) ?? new Set<string>();
    labels.add(label);
    edges.set(key, labels);
  };
  for (const from of ORDER_STATUSES) {
    const row: Partial<Record<OrderEventType, TransitionTarget>> = ORDER_STATE_TABLE[from];
    for (const [event, target] of Object.entries(row) as [OrderEventType, TransitionTarget][]) {
      const targets = resolve(from, target);
      // A modify can reduce the quantity to what has filled, completing the order.
      if (event === 'modified' && target === '$working' && from !== 'accepted') targets.push('filled');
      for (const to of targets) if (to !== from) add(from, to, event);
    }
  }
  const lines = ['stateDiagram-v2', '  [*] --> created'];
  for (const [edge, labels] of edges) lines.push(`  ${edge}: ${[...labels].join(', ')}`);
  for (const status of ORDER_STATUSES) if (TERMINAL_ORDER_STATUSES.has(status)) lines.push(`  ${status} --> [*]`);
  return lines.join('\n');
}

function resolve(from: OrderStatus, target: TransitionTarget): OrderStatus[] {
  switch (target) {
    case '$ignore':
    case '$same':
      return [];
    case '$fill':
      // On a filled order a new execution is an overfill (refused); a replay is a no-op.
      if (from === 'filled') return [];
      return ['pending_cancel', 'pending_replace', 'cancelled', 'expired', 'replaced'].includes(from) ? ['filled'] : ['partially_filled', 'filled'];
    case '$grow':
      // A filled order the broker says is larger than it filled works again.
      return ['partially_filled'];
    case '$working':
      // A working order keeps its status; a pending request falls back to whichever it interrupted.
      if (from === 'accepted' || from === 'partially_filled') return [from];
      return ['submitted', 'accepted', 'partially_filled'];
    default:
      return [target];
  }
}
