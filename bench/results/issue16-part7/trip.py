# Per-request trip on a mount: 4 KiB pwrite, fstat-free getattr (os.stat with attr cache off?), open/close.
import os, sys, time
d = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
p = os.path.join(d, 'trip.bin')
fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
buf = b'x' * 4096
for i in range(500): os.pwrite(fd, buf, (i % 256) * 4096)
t = time.perf_counter()
for i in range(n): os.pwrite(fd, buf, (i % 256) * 4096)
w = (time.perf_counter() - t) / n * 1e6
t = time.perf_counter()
for i in range(n): os.pwrite(fd, b'y', (i % 256) * 4096)
w1 = (time.perf_counter() - t) / n * 1e6
os.close(fd)
t = time.perf_counter()
m = n // 4
for i in range(m):
    f = os.open(p, os.O_RDWR); os.close(f)
oc = (time.perf_counter() - t) / m * 1e6
t = time.perf_counter()
for i in range(m):
    try: os.stat(os.path.join(d, 'missing-%d' % i))
    except FileNotFoundError: pass
lk = (time.perf_counter() - t) / m * 1e6
print(f"pwrite4k {w:.1f} us  pwrite1 {w1:.1f} us  open+close(rw) {oc:.1f} us  lookup-miss {lk:.1f} us")
