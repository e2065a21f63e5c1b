# usage: mixrun.sh BS NAME  (env from caller) -> prints mixed time, commit stats, put count
C="node ${W:-/work/main}/dist/chalkfs/cli/main.js"; D=$(cat /tmp/ux/m2)
$C volume create $2 --block-size $1 >/dev/null; mkdir -p $D/mnt-$2; $C mount $2 $D/mnt-$2 >/dev/null
U=$($C status --json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const m of JSON.parse(s)) if(m.volume===process.argv[1]) console.log(m.metricsUrl)})' $2)
node /tmp/ux/wl.cjs $D/mnt-$2/m.db mixed
curl -s $U | grep -E '^chalkfs_(commit_seconds|store_request_seconds|fuse_op_seconds)_(sum|count).*(result="ok")|^chalkfs_version_object_bytes_(sum|count)' | sed 's/{.*op=/ /; s/{.*result="ok"}/ /; s/,result="ok"}//'
$C unmount $D/mnt-$2 >/dev/null
