# alternating A/B mount timing: bash /tmp/mt2.sh N ; needs env of minio
for i in $(seq 1 $1); do
 for side in old new; do
  if [ $side = old ]; then C="node /work/wt-old/dist/chalkfs/cli/main.js"; else C="node /work/main/dist/chalkfs/cli/main.js"; fi
  s=$(date +%s%N); $C mount mt $D/mnt >/dev/null; m=$(date +%s%N); $C unmount $D/mnt >/dev/null; e=$(date +%s%N)
  s2=$(date +%s%N); $C status >/dev/null; e2=$(date +%s%N)
  echo "$side mount $(( (m-s)/1000000 )) unmount $(( (e-m)/1000000 )) status $(( (e2-s2)/1000000 ))"
 done
done
