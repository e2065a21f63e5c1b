# usage: coldscan.sh TREE LABEL -> cold SQLite full scan (python sqlite3) on a fresh read-only mount: MB/s, daemon and MinIO CPU per MB
source /tmp/ux/env.sh
C="node $1/dist/chalkfs/cli/main.js"
rm -rf $D/home/cache; sync; echo 3 > /proc/sys/vm/drop_caches
J=$($C mount scan1 $D/mnt --read-only --json); P=$(echo "$J" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))')
MP=$(pgrep -f "minio.*$D" | head -1)
c0=$(awk '{print $14+$15}' /proc/$P/stat); m0=$(awk '{print $14+$15}' /proc/$MP/stat); t0=$(date +%s.%N)
python3 /tmp/ux/scan.py $D/mnt/users.db >/dev/null
t1=$(date +%s.%N); c1=$(awk '{print $14+$15}' /proc/$P/stat); m1=$(awk '{print $14+$15}' /proc/$MP/stat)
$C unmount $D/mnt >/dev/null
node -e "const s=$t1-$t0, mb=107.76576; console.log('$2', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2)+' ms/MB', 'minio', ((($m1-$m0)*10)/mb).toFixed(2)+' ms/MB')"
