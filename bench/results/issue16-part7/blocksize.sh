# usage: blocksize.sh BS -> copy-in (cp + sync -f) and cold cat of 256 MiB on a volume with block size BS
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=bs$RANDOM
$C volume create $V --block-size $1 >/dev/null
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
pidof() { echo "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))'; }
MP=$(pgrep -f "minio.*$D" | head -1)
P=$(pidof "$($C mount $V $D/mnt --json)")
c0=$(cpu $P); m0=$(cpu $MP); t0=$(date +%s.%N)
cp /tmp/ux/plain.bin $D/mnt/g && sync -f $D/mnt/g
t1=$(date +%s.%N); c1=$(cpu $P); m1=$(cpu $MP)
$C unmount $D/mnt >/dev/null
in=$(node -e "const s=$t1-$t0, mb=268.435456; console.log((mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), 'minio', ((($m1-$m0)*10)/mb).toFixed(2))")
rm -rf $D/home/cache; sync; echo 3 > /proc/sys/vm/drop_caches
P=$(pidof "$($C mount $V $D/mnt --read-only --json)")
c0=$(cpu $P); m0=$(cpu $MP); t0=$(date +%s.%N)
cat $D/mnt/g > /dev/null
t1=$(date +%s.%N); c1=$(cpu $P); m1=$(cpu $MP)
$C unmount $D/mnt >/dev/null
out=$(node -e "const s=$t1-$t0, mb=268.435456; console.log((mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), 'minio', ((($m1-$m0)*10)/mb).toFixed(2))")
$C volume rm $V --yes >/dev/null 2>&1 || $C volume rm $V >/dev/null 2>&1
echo "bs $1 | copy-in $in | cold cat $out"
