# usage: bulk.sh TREE LABEL N -> one N-row insert transaction on a writer mount: rows/s and the daemon's CPU (main thread, others)
source "${ENV_SH:-/tmp/ux/env.sh}"
C="node $1/dist/chalkfs/cli/main.js"; V=bk$RANDOM
$C volume create $V >/dev/null
P=$($C mount $V $D/mnt --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))')
m0=$(awk '{print $14+$15}' /proc/$P/task/$P/stat); a0=$(awk '{print $14+$15}' /proc/$P/stat)
r=$(python3 "$(dirname "$0")/bulk.py" $D/mnt/b.db $3)
m1=$(awk '{print $14+$15}' /proc/$P/task/$P/stat); a1=$(awk '{print $14+$15}' /proc/$P/stat)
$C unmount $D/mnt >/dev/null
echo "$2 $r daemon main $(( (m1-m0)*10 )) ms, other threads $(( (a1-a0-m1+m0)*10 )) ms"
