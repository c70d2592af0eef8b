import { runAll } from './runner';
// Test files register themselves on import; order matters (they share one activated extension).
import './tree.itest';
import './dashboard.itest';
import './alerts.itest';
import './frameworks.itest';

/** Called by VS Code's extension host when opened with extensionTestsPath. */
export async function run(): Promise<void> {
  const r = await runAll();
  if (r.failed) throw new Error(`${r.failed} in-VS-Code test(s) failed: ${r.failures.map((f) => f.name).join(', ')}`);
}
