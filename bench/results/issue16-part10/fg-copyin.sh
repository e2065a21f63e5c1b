# usage: NODEFLAGS=... FILES="1 2" fg-copyin.sh -> foreground daemon with --trace-gc; MB/s, daemon CPU/MB, GC counts
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=fg$RANDOM
$C volume create $V >/dev/null 2>&1
node --trace-gc ${NODEFLAGS:-} /work/main/dist/chalkfs/cli/main.js mount $V /tmp/ux/mnt --foreground --log-level warn 2>/tmp/ux/fg.log >/tmp/ux/fg.out &
for i in $(seq 100); do mountpoint -q /tmp/ux/mnt && break; sleep 0.1; done; sleep 0.5
P=$(pgrep -f "mount $V /tmp/ux/mnt --foreground" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for f in ${FILES:-1}; do
  g0=$(grep -c Mark-Compact /tmp/ux/fg.out); s0=$(grep -c Scavenge /tmp/ux/fg.out)
  c0=$(cpu $P); t0=$(date +%s.%N)
  cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f
  t1=$(date +%s.%N); c1=$(cpu $P)
  g1=$(grep -c Mark-Compact /tmp/ux/fg.out); s1=$(grep -c Scavenge /tmp/ux/fg.out)
  node -e "const s=$t1-$t0, mb=268.435456; console.log('${TAG:-} copy $f', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), 'MC', $g1-$g0, 'scav', $s1-$s0)"
done
grep -E "VmHWM|VmRSS" /proc/$P/status | tr "\n" " "; echo; sleep ${IDLE:-0}; [ -n "${IDLE:-}" ] && { grep -E "VmRSS" /proc/$P/status; tail -2 /tmp/ux/fg.out | cut -c1-120; }
kill -INT $P; wait
