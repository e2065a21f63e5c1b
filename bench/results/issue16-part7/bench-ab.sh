# A/B of the FUSE loop: A = CHALKFS_FUSE_LOOP=threads (libfuse's loop threads), B = the JS thread reading requests (default)
cd /work/main
for i in 1 2; do
  for side in A B; do
    if [ $side = A ]; then export CHALKFS_FUSE_LOOP=threads; else unset CHALKFS_FUSE_LOOP; fi
    timeout 1500 node dist/bench/main.js --targets chalkfs --workloads 'point reads,open-query-close,concurrent readers,writer,mixed,plain file,full scan' --out bench/results/issue16-part7/ab-loop/$side$i > bench/results/issue16-part7/ab-loop/$side$i.log 2>&1
    echo "$side$i rc=$? $(date +%T) load=$(cut -d' ' -f1 /proc/loadavg)" >> bench/results/issue16-part7/ab-loop/summary.txt
  done
done
