import { describe, expect, it } from 'vitest';
import { runExample } from './run-example.js';

describe('npm run demo', () => {
  it('runs a real server and two devices through offline edits and conflicts to one state', async () => {
    const run = await runExample('examples/demo/demo.ts');
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/sync failed with NETWORK_UNAVAILABLE; 2 change\(s\) stay/);
    expect(run.stdout).toMatch(/server merged both edits -> done=true, assignee=sam/);
    expect(run.stdout).toMatch(/phone version : "Filter is in the van. Sam will do it Friday."/);
    expect(run.stdout).toMatch(/^converged: true \(3 devices, 0 pending ops, 0 open conflicts\)$/m);
    expect(run.stdout).toContain(
      '"text":"Filter is in the van. Replaced, old one binned. Sam checks it Friday."',
    );
  });
});
