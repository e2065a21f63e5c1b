# usage: cold-read.sh cat|scan [perf] -> a volume holding plain1.bin (cat) or users.db (scan); N times: fresh
# read-only mount, empty caches, then cat of the file or a SQLite full scan (Python); MB/s, daemon/MinIO CPU
# and daemon page faults per MB; with perf, a perf record -g of the daemon per round
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=cr$RANDOM
case "$1" in
  cat) SRC=/tmp/ux/plain1.bin; READ='cat /tmp/ux/mnt/f > /dev/null' ;;
  scan) SRC=/tmp/ux/users.db; READ='python3 -c "import sqlite3; sqlite3.connect(\"file:/tmp/ux/mnt/f?mode=ro\", uri=True).execute(\"SELECT count(*), sum(length(name)+length(email)+length(bio)+created_at%7) FROM users\").fetchone()"' ;;
  *) echo "usage: cold-read.sh cat|scan [perf]" >&2; exit 2 ;;
esac
$C volume create $V >/dev/null 2>&1
$C mount $V /tmp/ux/mnt >/dev/null 2>&1; cp $SRC /tmp/ux/mnt/f; $C unmount /tmp/ux/mnt >/dev/null
MP=$(pgrep -f "minio.*/tmp/ux/home" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }; flt() { awk '{print $10}' /proc/$1/stat; }
for i in $(seq ${N:-3}); do
  rm -rf /tmp/ux/cc-cache; sync; echo 3 > /proc/sys/vm/drop_caches
  P=$($C mount $V /tmp/ux/mnt --read-only --cache-dir /tmp/ux/cc-cache ${MEM:+--memory-cache-size $MEM} --json 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
  [ "$2" = perf ] && { env -u GLIBC_TUNABLES perf record -q -F 1999 -g -p $P -o /tmp/ux/perf-$1$i.data 2>/dev/null & PP=$!; sleep 0.3; }
  f0=$(flt $P); c0=$(cpu $P); m0=$(cpu $MP); t0=$(date +%s.%N)
  sh -c "$READ"
  t1=$(date +%s.%N); c1=$(cpu $P); m1=$(cpu $MP); f1=$(flt $P)
  [ "$2" = perf ] && { kill -INT $PP; wait $PP; }
  node -e "const s=$t1-$t0, mb=$(stat -c %s $SRC)/1e6; console.log('$1 $i', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), 'minio', ((($m1-$m0)*10)/mb).toFixed(2), 'faults/MB', (($f1-$f0)/mb).toFixed(0))"
  $C unmount /tmp/ux/mnt >/dev/null
done
