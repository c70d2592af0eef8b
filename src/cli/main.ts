/**
 * `worker-lens` — the terminal side of Worker Lens, on the same core as the extension
 * (no `vscode`). Built to dist/cli.js by esbuild.mjs; run from source with
 * `node --import tsx src/cli/main.ts status …`.
 */
import { displayText } from '../core/checked';
import { redactUrlsIn } from '../core/connectionConfig';
import { parseCliArgs, USAGE } from './args';
import { EXIT_ERROR, runStatus } from './status';

async function main(argv: string[]): Promise<number> {
  const parsed = parseCliArgs(argv);
  if (parsed.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (parsed.command === 'error') {
    process.stderr.write(`worker-lens: ${parsed.message}\n\n${USAGE}`);
    return EXIT_ERROR;
  }
  const stopped = new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  return runStatus(parsed, { out: process.stdout, err: process.stderr, env: process.env, cwd: process.cwd(), stopped });
}

// `worker-lens status | head` closes the pipe early: that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (err) => {
    // One line in words for a user; the stack only when asked for (WORKER_LENS_DEBUG=1).
    const detail = process.env.WORKER_LENS_DEBUG ? (err as Error)?.stack : undefined;
    process.stderr.write(
      `worker-lens: ${detail ?? redactUrlsIn(displayText(err instanceof Error ? err.message : String(err), 500))}\n`,
    );
    exit(EXIT_ERROR);
  },
);

/** Exits once stdout has flushed (pipes are asynchronous on some platforms), without waiting on stray handles. */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
