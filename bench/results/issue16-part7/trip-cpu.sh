# usage: cpu.sh MODE — daemon CPU per request during the pwrite loop
source /tmp/ux/env.sh
cd /work/main
CHALKFS_FUSE_LOOP=$1 node dist/chalkfs/cli/main.js mount trip /tmp/ux/m >/dev/null
pid=$(pgrep -f 'trip /tmp/ux/m' | head -1)
python3 - "$pid" <<'PY'
import os, sys, time
pid = sys.argv[1]
tick = os.sysconf('SC_CLK_TCK')
def cpu(p):
    f = open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick
def thr(p):
    out = {}
    for t in os.listdir(f'/proc/{p}/task'):
        c = open(f'/proc/{p}/task/{t}/comm').read().strip()
        f = open(f'/proc/{p}/task/{t}/stat').read().rsplit(')', 1)[1].split()
        out[t] = (c, (int(f[11]) + int(f[12])) / tick, int(f[11]) / tick, int(f[12]) / tick)
    return out
fd = os.open('/tmp/ux/m/trip.bin', os.O_RDWR | os.O_CREAT, 0o644)
buf = b'x' * 4096
for i in range(500): os.pwrite(fd, buf, (i % 256) * 4096)
n = 20000
c0 = cpu(pid); t0 = thr(pid); s0 = os.times(); w0 = time.perf_counter()
for i in range(n): os.pwrite(fd, buf, (i % 256) * 4096)
w = time.perf_counter() - w0; s1 = os.times(); c1 = cpu(pid); t1 = thr(pid)
os.close(fd)
print(f"wall {w/n*1e6:.1f} us/write, daemon cpu {(c1-c0)/n*1e6:.1f} us/write, writer cpu {((s1.user+s1.system)-(s0.user+s0.system))/n*1e6:.1f} us/write")
main = [ (t1[k][1]-t0[k][1]) for k in t1 if k in t0 and k == pid ]
print(' main user', f"{(t1[pid][2]-t0[pid][2])/n*1e6:.1f}", 'sys', f"{(t1[pid][3]-t0[pid][3])/n*1e6:.1f}")
others = sorted(((t1[k][1]-t0.get(k, (None,0))[1]), k) for k in t1 if k != pid)
print(' main', f"{main[0]/n*1e6:.1f}", ' others', [f"{v/n*1e6:.1f}" for v,k in others if v > 0])
PY
node dist/chalkfs/cli/main.js unmount /tmp/ux/m >/dev/null
