# usage: coldcat.sh TREE LABEL -> cold cat time + daemon CPU ms/MB
source /tmp/ux/env.sh
C="node $1/dist/chalkfs/cli/main.js"
rm -rf $D/home/cache; sync; echo 3 > /proc/sys/vm/drop_caches
J=$($C mount cat1 $D/mnt --read-only --json); P=$(echo "$J" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))')
MP=$(pgrep -f "minio.*$D" | head -1)
c0=$(awk '{print $14+$15}' /proc/$P/stat); m0=$(awk '{print $14+$15}' /proc/$MP/stat); t0=$(date +%s.%N)
cat $D/mnt/f > /dev/null
t1=$(date +%s.%N); c1=$(awk '{print $14+$15}' /proc/$P/stat); m1=$(awk '{print $14+$15}' /proc/$MP/stat)
$C unmount $D/mnt >/dev/null
node -e "const s=$t1-$t0, mb=268.435456; console.log('$2', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2)+' ms/MB', 'minio', ((($m1-$m0)*10)/mb).toFixed(2)+' ms/MB')"
