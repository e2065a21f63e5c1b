# usage: [WRITES=0] lead.sh -> copy-in of 256 MiB on a fresh volume, then again after writes (or none)
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=lead$RANDOM
$C volume create $V >/dev/null
P=$($C mount $V /tmp/ux/mnt --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
MP=$(pgrep -f "minio.*/tmp/ux/home" | head -1)
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
copy() {
  c0=$(cpu $P); m0=$(cpu $MP); t0=$(date +%s.%N)
  cp $1 /tmp/ux/mnt/$2 && sync -f /tmp/ux/mnt/$2
  t1=$(date +%s.%N); c1=$(cpu $P); m1=$(cpu $MP)
  node -e "const s=$t1-$t0, mb=268.435456; console.log('$3', (mb/s).toFixed(0)+' MB/s', 'daemon', ((($c1-$c0)*10)/mb).toFixed(2), 'minio', ((($m1-$m0)*10)/mb).toFixed(2))"
}
idle() { c0=$(cpu $P); m0=$(cpu $MP); sleep 3; c1=$(cpu $P); m1=$(cpu $MP); echo "$1 idle 3 s: daemon $((($c1-$c0)*10)) ms, minio $((($m1-$m0)*10)) ms"; }
idle fresh
copy /tmp/ux/plain2.bin a fresh
if [ "${WRITES:-1}" = 1 ]; then  # WRITES=0: a second copy with no writes between
  python3 /work/main/bench/results/issue16-part6/commits.py /tmp/ux/mnt/w.db 600 > /dev/null
  python3 /work/main/bench/results/issue16-part6/bulk.py /tmp/ux/mnt/b.db 100000 > /dev/null
else
  sleep 2
fi
idle after-writes
copy /tmp/ux/plain3.bin b after-writes
idle after-copy
curl -s $(python3 -c "import json,glob;print([json.load(open(f))[0]['targets'][0] for f in glob.glob('/tmp/ux/home/metrics-targets/*.json')][0])")/metrics | grep -E '^nodejs_heap_size_used|^nodejs_gc_duration_seconds_count' 
$C unmount /tmp/ux/mnt >/dev/null
