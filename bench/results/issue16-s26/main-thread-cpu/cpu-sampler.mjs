// Preload (NODE_OPTIONS=--import): in the chalkfs mount daemon (argv has --foreground), samples
// every 20 ms the main thread's CPU (schedstat, ns) and the whole process's (cpuUsage, µs);
// writes them at exit.
import { readFileSync, writeFileSync } from 'node:fs';
if (process.argv.includes('--foreground')) {
  const path = `/proc/self/task/${process.pid}/schedstat`;
  const samples = [];
  const take = () => { const u = process.cpuUsage(); samples.push([performance.now(), Number(readFileSync(path, 'utf8').split(' ')[0]) / 1e6, (u.user + u.system) / 1e3]); };
  setInterval(take, 20).unref();
  process.on('exit', () => { take(); writeFileSync(`${process.env.CHALKFS_PROFILE_DIR ?? '/tmp'}/cpu-${Date.now()}-${process.pid}.json`, JSON.stringify(samples)); });
}
