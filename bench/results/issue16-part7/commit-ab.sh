# usage: commit-ab.sh MODE -> one-row commit latency quantiles on a fresh writer mount
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"
CHALKFS_FUSE_LOOP=$1 $C mount trip /tmp/ux/mnt >/dev/null
echo "$1 $(python3 /work/main/bench/results/issue16-part6/commits.py /tmp/ux/mnt/ab$RANDOM.db 400 --quantiles | tail -1)"
$C unmount /tmp/ux/mnt >/dev/null
