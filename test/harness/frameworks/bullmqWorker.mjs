// A BullMQ test worker: node bullmqWorker.mjs <redis url> <queue> <worker name>. Each job sleeps job.data.seconds,
// or throws job.data.fail.
import { Worker } from 'bullmq';

const [url, queue, name] = process.argv.slice(2);
const u = new URL(url);
const connection = { host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0) };
const worker = new Worker(
  queue,
  async (job) => {
    if (job.data.fail) throw new Error(job.data.fail);
    await new Promise((r) => setTimeout(r, (job.data.seconds ?? 1) * 1000));
    return job.data.seconds;
  },
  { connection, name, concurrency: 1 },
);
worker.on('ready', () => console.log(`ready ${name}`));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
