# usage: curl-transfer.sh -> curl's own CPU PUTting 256 MiB as 1 MiB and as 8 MiB objects (one curl, --next),
# against the scratch MinIO of /tmp/ux/env.sh (started by any chalkfs command there)
cd /tmp/ux
K=$(python3 -c "import json;d=json.load(open('home/minio/credentials.json'));print(d['accessKeyId']+':'+d['secretAccessKey'])")
E=$(python3 -c "import json;print(json.load(open('home/minio/state.json'))['endpoint'])")
head -c 1048576 /dev/urandom > one.bin; head -c 8388608 /dev/urandom > eight.bin
for f in one.bin eight.bin; do
  n=$(( 268435456 / $(stat -c %s $f) )); args=()
  for i in $(seq $n); do [ $i -gt 1 ] && args+=(--next); args+=(-sS --fail --aws-sigv4 aws:amz:us-east-1:s3 --user "$K" -T $f -o /dev/null $E/chalkfs/curltest/$f-$i); done
  /usr/bin/time -f "$f: %e s user %U sys %S" curl "${args[@]}"
done
