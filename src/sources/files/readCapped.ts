import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** `size`: the stat's, when it already said too large; absent when the read went past the cap. */
export type CappedRead = { ok: true; text: string } | { ok: false; why: 'not-regular' | 'too-large'; size?: number };

const CHUNK = 64 * 1024;

/**
 * Reads at most `maxBytes` of a regular file as UTF-8. The size a stat gives is not
 * trusted: `/proc/self/pagemap` (a heartbeat file may be a symlink to it) says 0 bytes
 * and never ends, so reading "the whole file" took 1.1 GB. The type is checked on the
 * opened handle, not the path, so a file swapped after a stat cannot slip through; it
 * is opened non-blocking, so a FIFO named like a heartbeat cannot hang the read.
 */
export async function readCapped(path: string, maxBytes: number): Promise<CappedRead> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, why: 'not-regular' };
    if (st.size > maxBytes) return { ok: false, why: 'too-large', size: st.size };
    const chunks: Buffer[] = [];
    let total = 0;
    // Whole chunks (procfs refuses reads of odd sizes); reading past the cap tells
    // "exactly at the cap" from "more than it", and costs at most one chunk more.
    while (total <= maxBytes) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buf, 0, buf.length, total);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > maxBytes) return { ok: false, why: 'too-large' };
    return { ok: true, text: Buffer.concat(chunks, total).toString('utf8') };
  } finally {
    await handle.close();
  }
}
