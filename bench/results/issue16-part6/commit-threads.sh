# per-thread CPU of the daemon over N one-row commits
source "${ENV_SH:-/tmp/ux/env.sh}"  # MinIO endpoint, keys, CHALKFS_HOME and D (a scratch dir with mnt/)
C="node $1/dist/chalkfs/cli/main.js"; V=ct$RANDOM
$C volume create $V >/dev/null
P=$($C mount $V $D/mnt --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).pid))')
python3 "$(dirname "$0")/commits.py" $D/mnt/c.db 50 >/dev/null
snap() { for t in /proc/$P/task/*; do echo "$(basename $t) $(cat $t/comm | tr ' ' _) $(awk '{print $14, $15}' $t/stat)"; done | sort; }
snap > /tmp/ct0; MP=$(pgrep -f "minio.*$D" | head -1); m0=$(awk '{print $14+$15}' /proc/$MP/stat)
python3 "$(dirname "$0")/commits.py" $D/mnt/c.db $2
snap > /tmp/ct1; m1=$(awk '{print $14+$15}' /proc/$MP/stat)
$C unmount $D/mnt >/dev/null
join /tmp/ct0 /tmp/ct1 | awk -v n=$2 '{u=$6-$3; s=$7-$4; if (u+s>0) printf "%-8s %-16s user %6.0f sys %6.0f µs/commit\n", $1, $2, u*10000/n, s*10000/n}'
echo "minio $(( (m1-m0)*10000/$2 )) µs/commit"
