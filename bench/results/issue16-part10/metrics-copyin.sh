source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"; V=mc$RANDOM
$C volume create $V >/dev/null 2>&1
P=$($C mount $V /tmp/ux/mnt --json 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
M=$(python3 -c "import json,glob;print([json.load(open(f))[0]['targets'][0] for f in glob.glob('/tmp/ux/home/metrics-targets/*.json')][0])")
curl -s $M/metrics > /tmp/ux/m0; for f in ${FILES:-1}; do cp /tmp/ux/plain$f.bin /tmp/ux/mnt/f$f && sync -f /tmp/ux/mnt/f$f; done; curl -s $M/metrics > /tmp/ux/m1
$C unmount /tmp/ux/mnt >/dev/null
