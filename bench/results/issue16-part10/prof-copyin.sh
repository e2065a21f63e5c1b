# usage: prof-copyin.sh -> daemon in the foreground under --cpu-prof; FILES copies; profile in /tmp/ux/prof
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=pc$RANDOM
$C volume create $V >/dev/null 2>&1
rm -rf /tmp/ux/prof; mkdir -p /tmp/ux/prof
node --cpu-prof --cpu-prof-dir=/tmp/ux/prof ${NODEFLAGS:-} /work/main/dist/chalkfs/cli/main.js mount $V /tmp/ux/mnt --foreground --log-level warn 2>/tmp/ux/prof/daemon.log >/tmp/ux/prof/stdout.log &
for i in $(seq 100); do mountpoint -q /tmp/ux/mnt && break; sleep 0.1; done
sleep 0.5
P=$(pgrep -f "mount $V /tmp/ux/mnt --foreground" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for f in ${FILES:-1}; do
  c0=$(cpu $P); t0=$(date +%s.%N)
  cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f
  t1=$(date +%s.%N); c1=$(cpu $P)
  node -e "const s=$t1-$t0, mb=268.435456; console.log('copy $f', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2))"
done
kill -INT $P; wait
