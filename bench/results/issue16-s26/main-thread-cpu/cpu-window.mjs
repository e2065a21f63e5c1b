// The longest burst of one daemon (process CPU > 0.1 cores per 20 ms sample, gaps up to 2
// samples bridged): main-thread and all-thread CPU in it.
import { readFileSync } from 'node:fs';
const s = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const mb = Number(process.argv[3] ?? 268.435456);
const busy = s.map((x, i) => i > 0 && (x[2] - s[i - 1][2]) / (x[0] - s[i - 1][0]) > 0.1);
let best = [0, 0], start = -1, lastBusy = -1;
for (let i = 1; i <= s.length; i++) {
  if (i < s.length && busy[i]) { if (start < 0) start = i - 1; lastBusy = i; continue; }
  if (start >= 0 && (i === s.length || i - lastBusy > 2)) { if (lastBusy - start > best[1] - best[0]) best = [start, lastBusy]; start = -1; }
}
const [a, b] = best;
const wall = s[b][0] - s[a][0], main = s[b][1] - s[a][1], all = s[b][2] - s[a][2];
console.log(`burst ${wall.toFixed(0)} ms: main thread ${main.toFixed(0)} ms (${(main / mb).toFixed(2)} ms/MB, ${(main / wall).toFixed(2)} cores), all threads ${all.toFixed(0)} ms (${(all / mb).toFixed(2)} ms/MB), other threads ${((all - main) / mb).toFixed(2)} ms/MB`);
