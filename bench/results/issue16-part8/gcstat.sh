# usage: gcstat.sh -> one copy-in of 256 MiB; the daemon's GC counts and time by kind, heap sizes
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=gc$RANDOM
$C volume create $V >/dev/null 2>&1
P=$($C mount $V /tmp/ux/mnt --json 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
M=$(python3 -c "import json,glob;print([json.load(open(f))[0]['targets'][0] for f in glob.glob('/tmp/ux/home/metrics-targets/*.json')][0])")
g() { curl -s $M/metrics | grep -E '^nodejs_gc_duration_seconds_(sum|count)|^nodejs_heap_size_used_bytes|^nodejs_external_memory_bytes' ; }
g > /tmp/ux/g0; for f in ${FILES:-2}; do cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f; done; g > /tmp/ux/g1
paste /tmp/ux/g0 /tmp/ux/g1 | awk '{printf "%-60s %14s %14s\n", $1, $2, $4}'
$C unmount /tmp/ux/mnt >/dev/null
