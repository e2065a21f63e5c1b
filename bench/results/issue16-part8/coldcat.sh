# usage: coldcat.sh [perf] -> a volume with plain1.bin; N times: fresh mount, empty caches, cat of 256 MiB; MB/s, daemon/MinIO CPU and faults per MB
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=cc$RANDOM
$C volume create $V >/dev/null 2>&1
$C mount $V /tmp/ux/mnt >/dev/null 2>&1; cp /tmp/ux/plain1.bin /tmp/ux/mnt/f; $C unmount /tmp/ux/mnt >/dev/null
MP=$(pgrep -f "minio.*/tmp/ux/home" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }; flt() { awk '{print $10}' /proc/$1/stat; }
for i in $(seq ${N:-3}); do
  rm -rf /tmp/ux/cc-cache; sync; echo 3 > /proc/sys/vm/drop_caches
  P=$($C mount $V /tmp/ux/mnt --read-only --cache-dir /tmp/ux/cc-cache --json 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
  [ "$1" = perf ] && { env -u GLIBC_TUNABLES perf record -q -F 1999 -g -p $P -o /tmp/ux/perf-cat$i.data 2>/dev/null & PP=$!; sleep 0.3; }
  f0=$(flt $P); c0=$(cpu $P); m0=$(cpu $MP); t0=$(date +%s.%N)
  cat /tmp/ux/mnt/f > /dev/null
  t1=$(date +%s.%N); c1=$(cpu $P); m1=$(cpu $MP); f1=$(flt $P)
  [ "$1" = perf ] && { kill -INT $PP; wait $PP; }
  node -e "const s=$t1-$t0, mb=268.435456; console.log('cat $i', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), 'minio', ((($m1-$m0)*10)/mb).toFixed(2), 'faults/MB', (($f1-$f0)/mb).toFixed(0))"
  $C unmount /tmp/ux/mnt >/dev/null
done
