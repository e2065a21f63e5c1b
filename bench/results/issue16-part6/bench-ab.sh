# A/B of the bench's install row (mount + copy-in + unmount) and plain file: A = e249025 (wt-old), B = main
for i in 3 4; do
  for side in A B; do
    if [ $side = A ]; then T=/work/wt-old; else T=/work/main; fi
    (cd $T && timeout 900 node dist/bench/main.js --targets chalkfs --workloads 'plain file' --out /work/notes/s30/ab/$side$i > /work/notes/s30/ab/$side$i.log 2>&1)
    echo "$side$i rc=$? $(date +%T) load=$(cut -d' ' -f1 /proc/loadavg)" >> /work/notes/s30/ab/summary.txt
  done
done
