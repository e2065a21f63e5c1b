# usage: perf-copyin.sh -> foreground daemon with --perf-basic-prof; perf record of FILES copy-ins -> /tmp/ux/perf-fg.data
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=pf$RANDOM
$C volume create $V >/dev/null 2>&1
node --perf-basic-prof ${NODEFLAGS:-} /work/main/dist/chalkfs/cli/main.js mount $V /tmp/ux/mnt --foreground --log-level warn 2>/tmp/ux/fg.log >/dev/null &
for i in $(seq 100); do mountpoint -q /tmp/ux/mnt && break; sleep 0.1; done; sleep 0.5
P=$(pgrep -f "mount $V /tmp/ux/mnt --foreground" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
env -u GLIBC_TUNABLES perf record -q -F 1999 -g -p $P -o /tmp/ux/perf-fg.data 2>/tmp/ux/perf.err & PP=$!; sleep 0.3
for f in ${FILES:-1}; do
  c0=$(cpu $P); t0=$(date +%s.%N)
  cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f
  t1=$(date +%s.%N); c1=$(cpu $P)
  node -e "const s=$t1-$t0, mb=268.435456; console.log('copy $f', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2))"
done
kill -INT $PP; wait $PP; kill -INT $P; wait
