source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=st$RANDOM
$C volume create $V >/dev/null 2>&1
P=$($C mount $V /tmp/ux/mnt --json 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
cp /tmp/ux/plain1.bin /tmp/ux/mnt/f1 && sync -f /tmp/ux/mnt/f1
strace -f -e trace=brk,madvise -p $P -o /tmp/ux/strace.txt & SP=$!; sleep 0.5
cp /tmp/ux/plain2.bin /tmp/ux/mnt/f2 && sync -f /tmp/ux/mnt/f2
kill -INT $SP; wait $SP
$C unmount /tmp/ux/mnt >/dev/null
