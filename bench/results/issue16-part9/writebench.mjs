// usage: node writebench.mjs DIR -> CPU per MB (this process, all threads) of writing 256 new 1 MiB files:
// writeFile+rename (the disk tier before 4ef7413), open/write/close, overwriting 16 files in turn, and the
// addon's O_DIRECT write + rename (the disk tier since 4ef7413)
import { writeFile, rename, open, mkdir, rm } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
const addon = createRequire(import.meta.url)('/work/main/native/build/Release/chalkfs_fuse.node');
const dir = process.argv[2]; const n = 256;
const bufs = Array.from({ length: 16 }, () => randomFillSync(Buffer.allocUnsafe(1 << 20)));
async function round(name, fn) {
  await rm(dir, { recursive: true, force: true }); await mkdir(dir, { recursive: true });
  const c0 = process.cpuUsage(); const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i, bufs[i % 16]);
  const c1 = process.cpuUsage(c0); const ms = performance.now() - t0;
  console.log(name.padEnd(22), ((c1.user + c1.system) / 1000 / (n * 1.048576)).toFixed(2), 'ms/MB CPU', (c1.system / 1000 / (n * 1.048576)).toFixed(2), 'sys', (n * 1.048576 / ms * 1000).toFixed(0), 'MB/s');
}
for (let r = 0; r < 2; r++) {
  await round('writeFile+rename', async (i, b) => { await writeFile(`${dir}/${i}.tmp`, b); await rename(`${dir}/${i}.tmp`, `${dir}/${i}`); });
  await round('open/write/close', async (i, b) => { const h = await open(`${dir}/${i}`, 'w'); await h.write(b, 0, b.length, 0); await h.close(); });
  await round('O_DIRECT+rename', async (i, b) => { if (!(await addon.uncachedWrite.write(`${dir}/${i}.tmp`, b))) throw new Error('refused'); await rename(`${dir}/${i}.tmp`, `${dir}/${i}`); });
  await round('overwrite existing', async (i, b) => { const h = await open(`${dir}/${i % 16}`, 'w'); await h.write(b, 0, b.length, 0); await h.close(); });
}
