# usage: cold-read.sh TREE LABEL VOLUME MB COMMAND... -> COMMAND's time on a fresh read-only mount of VOLUME
# (empty block cache, kernel caches dropped), as MB/s of MB, with the daemon's and MinIO's CPU per MB.
# The mount is $D/mnt (env from /tmp/ux/env.sh: the MinIO of minio-up.sh). Examples:
#   cold-read.sh /work/main cat cat1 268.435456 sh -c 'cat $D/mnt/f > /dev/null'
#   cold-read.sh /work/main scan scan1 107.76576 python3 scan.py '$D/mnt/users.db'
source /tmp/ux/env.sh
tree=$1 label=$2 volume=$3 mb=$4; shift 4
C="node $tree/dist/chalkfs/cli/main.js"
rm -rf $D/home/cache; sync; echo 3 > /proc/sys/vm/drop_caches
J=$($C mount $volume $D/mnt --read-only --json); P=$(echo "$J" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))')
MP=$(pgrep -f "minio.*$D" | head -1)
c0=$(awk '{print $14+$15}' /proc/$P/stat); m0=$(awk '{print $14+$15}' /proc/$MP/stat); t0=$(date +%s.%N)
eval "$@" >/dev/null
t1=$(date +%s.%N); c1=$(awk '{print $14+$15}' /proc/$P/stat); m1=$(awk '{print $14+$15}' /proc/$MP/stat)
$C unmount $D/mnt >/dev/null
node -e "const s=$t1-$t0, mb=$mb; console.log('$label', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2)+' ms/MB', 'minio', ((($m1-$m0)*10)/mb).toFixed(2)+' ms/MB')"
