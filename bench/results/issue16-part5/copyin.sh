# usage: copyin.sh TREE LABEL -> cp + sync -f of 256 MiB onto a writer mount: MB/s, daemon and MinIO CPU per MB
source /tmp/ux/env.sh
C="node $1/dist/chalkfs/cli/main.js"; V=ci$RANDOM
$C volume create $V >/dev/null
J=$($C mount $V $D/mnt --json); P=$(echo "$J" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))')
MP=$(pgrep -f "minio.*$D" | head -1)
c0=$(awk '{print $14+$15}' /proc/$P/stat); m0=$(awk '{print $14+$15}' /proc/$MP/stat); t0=$(date +%s.%N)
cp /tmp/ux/plain.bin $D/mnt/g && sync -f $D/mnt/g
t1=$(date +%s.%N); c1=$(awk '{print $14+$15}' /proc/$P/stat); m1=$(awk '{print $14+$15}' /proc/$MP/stat)
$C unmount $D/mnt >/dev/null
node -e "const s=$t1-$t0, mb=268.435456; console.log('$2', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2)+' ms/MB', 'minio', ((($m1-$m0)*10)/mb).toFixed(2)+' ms/MB')"
