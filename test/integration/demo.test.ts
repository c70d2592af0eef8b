import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

/*
 * The README's first command, headless: `npm run demo -- --headless --duration 30`
 * simulates a fleet into heartbeat files and prints it as the extension's core sees it.
 * Within 30 s the story (the crash lasts 18 s, past the alert minimum) shows every state a user should recognise.
 */
test(
  'npm run demo --headless shows the simulated fleet in the expected health states',
  { timeout: 90_000 },
  async () => {
    const out = await new Promise<{ code: number | null; text: string }>((done) => {
      const p = spawn('npm', ['run', '--silent', 'demo', '--', '--headless', '--duration', '30'], {
        cwd: resolve(__dirname, '../..'),
      });
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      p.stderr.on('data', (d) => (text += d));
      p.on('close', (code) => done({ code, text }));
    });
    assert.equal(out.code, 0, out.text);
    const seen = (worker: string, health: string) => new RegExp(`^${worker}\\s+${health}\\b`, 'm').test(out.text);
    assert.ok(seen('worker-1', 'slow'), 'the worker on a 20-minute task is slow');
    assert.ok(seen('worker-2', 'crashed'), 'the flaky worker crashes…');
    assert.ok(seen('worker-2', 'recovering'), '…and comes back through recovering');
    assert.ok(seen('worker-3', 'unresponsive'), 'the silent worker is unresponsive…');
    assert.ok(seen('worker-3', 'dead'), '…then dead');
    assert.ok(/^worker-\d+\s+working\b/m.test(out.text), 'others work on tasks');
    assert.match(out.text, /\d+\/8 alive/);
  },
);
