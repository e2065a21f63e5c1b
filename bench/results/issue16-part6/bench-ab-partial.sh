# A/B of the bench's writer and mixed workloads: A = a3022fc (wt-old), B = main working tree (partial dirty blocks)
for i in 3 4; do
  for side in A B; do
    if [ $side = A ]; then T=/work/wt-old; else T=/work/main; fi
    (cd $T && timeout 1200 node dist/bench/main.js --targets local,chalkfs --workloads writer --out /work/notes/s30/ab2/$side$i > /work/notes/s30/ab2/$side$i.log 2>&1)
    echo "$side$i rc=$? $(date +%T) load=$(cut -d' ' -f1 /proc/loadavg)" >> /work/notes/s30/ab2/summary.txt
  done
done
