# usage: threads-copyin.sh -> per-thread CPU (ms/MB) of the daemon over a 256 MiB copy-in (FILES), background mount
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=th$RANDOM
$C volume create $V >/dev/null
P=$($C mount $V /tmp/ux/mnt ${MOUNT_ARGS:-} --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
snap() { for t in /proc/$P/task/*; do echo "$(basename $t)_$(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat) $(awk '{print $10}' $t/stat)"; done | sort; }
for f in ${FILES:-1 2}; do
  snap > /tmp/ux/t0; t0=$(date +%s.%N)
  cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f
  t1=$(date +%s.%N); snap > /tmp/ux/t1
  echo "copy $f $(node -e "console.log((268.435456/($t1-$t0)).toFixed(0))") MB/s"
  join /tmp/ux/t0 /tmp/ux/t1 | awk '{printf "  %-16s %5.2f ms/MB  faults/MB %5.0f\n", $1, ($4-$2)*10/268.435456, ($5-$3)/268.435456; s+=($4-$2)} END {printf "  %-16s %5.2f ms/MB\n", "total", s*10/268.435456}'
done
$C unmount /tmp/ux/mnt >/dev/null
