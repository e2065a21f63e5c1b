# usage: ROUNDS=n floor-store-copyin.sh
# Per round, in turn: 256 MiB copy-in (cp of /tmp/ux/plain1.bin) onto a fresh chalkfs volume, onto the
# FUSE floor in store mode with 1 MiB and with 8 MiB objects (bench/fuse-floor, --store), and onto s3fs
# (waiting for its object, as the bench does); MB/s, daemon and MinIO CPU per MB, cp's own CPU per MB.
set -u
source /tmp/ux/env.sh
C="node /work/main/dist/chalkfs/cli/main.js"
$C volume create warm$RANDOM >/dev/null   # starts the embedded MinIO
EP=$(python3 -c 'import json;print(json.load(open("/tmp/ux/home/minio/state.json"))["endpoint"])')
KEY=$(python3 -c 'import json;print(json.load(open("/tmp/ux/home/minio/credentials.json"))["accessKeyId"])')
SECRET=$(python3 -c 'import json;print(json.load(open("/tmp/ux/home/minio/credentials.json"))["secretAccessKey"])')
S3="curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user $KEY:$SECRET"
$S3 -X PUT $EP/floor >/dev/null 2>&1; $S3 -X PUT $EP/s3fs >/dev/null 2>&1
echo "$KEY:$SECRET" > /tmp/ux/passwd-s3fs; chmod 600 /tmp/ux/passwd-s3fs
cc -O2 -Wall -o /tmp/ux/fuse-floor /work/main/bench/fuse-floor/fuse_floor.c $(pkg-config --cflags --libs fuse3 libcurl libcrypto) -lpthread || exit 1
MP=$(pgrep -f "minio.*/tmp/ux/home" | head -1)
M=/tmp/ux/mnt; mkdir -p $M /tmp/ux/s3fs-cache
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
kids() { awk '{print $16+$17}' /proc/$$/stat; }   # this shell's ended children (cp)
measure() {  # measure LABEL DAEMON_PID COMMAND...
  local label=$1 pid=$2; shift 2
  local c0 m0 k0 t0 c1 m1 k1 t1
  c0=$(cpu $pid); m0=$(cpu $MP); k0=$(kids); t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N); c1=$(cpu $pid); m1=$(cpu $MP); k1=$(kids)
  node -e "const s=$t1-$t0, mb=268.435456; console.log('$label'.padEnd(14), (mb/s).toFixed(0).padStart(4)+' MB/s', ' daemon', ((($c1-$c0)*10)/mb).toFixed(2), ' minio', ((($m1-$m0)*10)/mb).toFixed(2), ' cp', ((($k1-$k0)*10)/mb).toFixed(2))"
}
s3fs_durable() { until [ "$($S3 -I $EP/s3fs/f 2>/dev/null | tr -d '\r' | awk 'tolower($1)=="content-length:"{print $2}')" = 268435456 ]; do sleep 0.05; done; }
for r in $(seq ${ROUNDS:-2}); do
  echo "round $r ($(cut -d' ' -f1-3 /proc/loadavg))"
  V=p12$RANDOM; $C volume create $V >/dev/null
  P=$($C mount $V $M --json | python3 -c 'import json,sys;print(json.load(sys.stdin)["pid"])')
  measure chalkfs $P cp /tmp/ux/plain1.bin $M/f
  $C unmount $M >/dev/null
  for size in 1048576 8388608; do
    FLOOR_STORE_URL=$EP/floor/r$r-$size/ FLOOR_STORE_KEY=$KEY FLOOR_STORE_SECRET=$SECRET /tmp/ux/fuse-floor --store $size $M || exit 1
    for i in $(seq 50); do mountpoint -q $M && break; sleep 0.1; done
    P=$(pgrep -f "fuse-floor --store $size $M" | head -1)
    measure "floor $((size >> 20)) MiB" $P cp /tmp/ux/plain1.bin $M/f
    fusermount3 -u $M
  done
  $S3 -X DELETE $EP/s3fs/f >/dev/null 2>&1
  s3fs s3fs $M -o passwd_file=/tmp/ux/passwd-s3fs,url=$EP,use_path_request_style,use_cache=/tmp/ux/s3fs-cache
  for i in $(seq 50); do mountpoint -q $M && break; sleep 0.1; done
  P=$(pgrep -f "s3fs s3fs $M" | head -1)
  measure s3fs $P sh -c "cp /tmp/ux/plain1.bin $M/f && $(declare -f s3fs_durable | tr '\n' ' '); S3='$S3' EP=$EP s3fs_durable"
  fusermount3 -u $M; rm -rf /tmp/ux/s3fs-cache/*
done
