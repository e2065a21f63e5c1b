# usage: ab-patch-chunks.sh PAIRS REV_A REV_B TAG_B -> alternating bench runs (--targets chalkfs --workloads
# writer,mixed) of REV_A's chalkfs/vfs patch code (tagged A) and REV_B's (tagged TAG_B), built in /work/main in
# turn; results under /tmp/ux/abmix/{A,TAG_B}N, the figures' lines on stdout. Run as:
#   ab-patch-chunks.sh 2 f4f0bec 09dfe46 B   (ab-patch-chunks-09dfe46.txt)
#   ab-patch-chunks.sh 2 f4f0bec c080090 C   (ab-patch-chunks-c080090.txt)
set -eu
cd /work/main
files="chalkfs/vfs/file-data.ts chalkfs/vfs/block-patches.ts chalkfs/vfs/dirty-block.ts"
run() {  # run TAG REV
  git checkout -q $2 -- $files
  npm run build >/dev/null
  node dist/bench/main.js --targets chalkfs --workloads writer,mixed --out /tmp/ux/abmix/$1 > /tmp/ux/abmix/$1.log 2>&1
  grep -E "commit 1-row txn p50|bulk insert  |mixed write-heavy" /tmp/ux/abmix/$1.log | sed "s/^/$1 /"
}
mkdir -p /tmp/ux/abmix
for i in $(seq $1); do run A$i $2; run $4$i $3; done
git checkout -q HEAD -- $files
npm run build >/dev/null
