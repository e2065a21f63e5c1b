# usage: copyin.sh [perf] -> copy-in of 256 MiB on a fresh volume; daemon and MinIO CPU per MB
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=ci$RANDOM
$C volume create $V >/dev/null
P=$($C mount $V /tmp/ux/mnt ${MOUNT_ARGS:-} --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
MP=$(pgrep -f "minio.*/tmp/ux/home" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }; flt() { awk '{print $10}' /proc/$1/stat; }
for f in ${FILES:-2}; do
  [ "$1" = perf ] && { env -u GLIBC_TUNABLES perf record -q -F 1999 -g -p $P -o /tmp/ux/perf-$f.data 2>/tmp/ux/perf.err & PP=$!; sleep 0.3; }
  f0=$(flt $P); c0=$(cpu $P); m0=$(cpu $MP); t0=$(date +%s.%N)
  cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f
  t1=$(date +%s.%N); c1=$(cpu $P); m1=$(cpu $MP); f1=$(flt $P)
  [ "$1" = perf ] && { kill -INT $PP; wait $PP; }
  node -e "const s=$t1-$t0, mb=268.435456; console.log('copy $f', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), 'minio', ((($m1-$m0)*10)/mb).toFixed(2), 'faults/MB', (($f1-$f0)/mb).toFixed(0))"
done
stat -c 'blksize %o' /tmp/ux/mnt/f2 2>/dev/null
$C unmount /tmp/ux/mnt >/dev/null
