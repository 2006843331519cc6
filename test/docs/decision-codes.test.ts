import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECISION_CODES, PRE_TRADE_CHECKS } from 'tradewire';
import { describe, expect, it } from 'vitest';

describe('refusal codes', () => {
  it('every code tradewire gives is explained in docs/troubleshooting.md', () => {
    const doc = readFileSync(join(__dirname, '../../docs/troubleshooting.md'), 'utf8');
    expect(DECISION_CODES.filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });

  it('the pre-trade checks are among them', () => {
    expect(PRE_TRADE_CHECKS.filter((c) => !(DECISION_CODES as readonly string[]).includes(c))).toEqual([]);
  });

  it('no code given in the source is missing from the list', () => {
    // The literal codes of refusals in the engine, the policy, the rules and the desk.
    const files = ['execution/signal-pipeline.ts', 'execution/execution-engine.ts', 'signals/signal-policy.ts', 'risk/pre-trade-checks.ts', 'desk/trading-desk.ts'];
    const found = new Set<string>();
    for (const f of files) {
      const source = readFileSync(join(__dirname, '../../src', f), 'utf8');
      for (const m of source.matchAll(/(?:code: |none\()'([a-z_]+)'/g)) found.add(m[1]!);
    }
    // Alert codes, not refusals.
    const notRefusals = new Set(['position_force_closed', 'internal_failure', 'margin_call', 'broker_closeout', 'position_not_closed', 'journal_write_failed', 'journal_write_recovered']);
    expect([...found].filter((c) => !notRefusals.has(c) && !(DECISION_CODES as readonly string[]).includes(c))).toEqual([]);
  });
});
