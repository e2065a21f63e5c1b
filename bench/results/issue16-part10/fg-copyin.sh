# usage: [NODEFLAGS=...] [FILES="1 2"] [IDLE=s] fg-copyin.sh [gc|cpu-prof|perf]
# The daemon in the foreground under node flags, FILES copy-ins of 256 MiB; per copy MB/s and daemon CPU/MB.
#   gc (default): --trace-gc; mark-compacts and scavenges per copy, RSS at the end (and IDLE s later)
#   cpu-prof:     --cpu-prof into /tmp/ux/prof (with NODEFLAGS='--trace-gc --trace-incremental-marking':
#                 the trace in /tmp/ux/prof/stdout.log, gc-trace-before.txt)
#   perf:         --perf-basic-prof, perf record -g of the daemon over the copies -> /tmp/ux/perf-fg.data
source /tmp/ux/env.sh
MODE=${1:-gc}
C="node /work/main/dist/chalkfs/cli/main.js"; V=fg$RANDOM
$C volume create $V >/dev/null 2>&1
rm -rf /tmp/ux/prof; mkdir -p /tmp/ux/prof; OUT=/tmp/ux/prof/stdout.log
case $MODE in
  gc) MODEFLAGS=--trace-gc ;;
  cpu-prof) MODEFLAGS="--cpu-prof --cpu-prof-dir=/tmp/ux/prof" ;;
  perf) MODEFLAGS=--perf-basic-prof ;;
  *) echo "usage: fg-copyin.sh [gc|cpu-prof|perf]" >&2; exit 2 ;;
esac
node $MODEFLAGS ${NODEFLAGS:-} /work/main/dist/chalkfs/cli/main.js mount $V /tmp/ux/mnt --foreground --log-level warn 2>/tmp/ux/prof/daemon.log >$OUT &
for i in $(seq 100); do mountpoint -q /tmp/ux/mnt && break; sleep 0.1; done; sleep 0.5
P=$(pgrep -f "mount $V /tmp/ux/mnt --foreground" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
[ $MODE = perf ] && { env -u GLIBC_TUNABLES perf record -q -F 1999 -g -p $P -o /tmp/ux/perf-fg.data 2>/tmp/ux/perf.err & PP=$!; sleep 0.3; }
for f in ${FILES:-1}; do
  g0=$(grep -c Mark-Compact $OUT); s0=$(grep -c Scavenge $OUT)
  c0=$(cpu $P); t0=$(date +%s.%N)
  cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f
  t1=$(date +%s.%N); c1=$(cpu $P)
  g1=$(grep -c Mark-Compact $OUT); s1=$(grep -c Scavenge $OUT)
  node -e "const s=$t1-$t0, mb=268.435456; console.log('${TAG:-} copy $f', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), '$MODE' === 'gc' ? 'MC ' + ($g1-$g0) + ' scav ' + ($s1-$s0) : '')"
done
[ $MODE = perf ] && { kill -INT $PP; wait $PP; }
if [ $MODE = gc ]; then
  grep -E "VmHWM|VmRSS" /proc/$P/status | tr "\n" " "; echo
  [ -n "${IDLE:-}" ] && { sleep $IDLE; grep -E "VmRSS" /proc/$P/status; }
fi
kill -INT $P; wait
