import sqlite3, sys, time
# usage: commits.py DB N [--quantiles]: N one-row transactions (DELETE, synchronous=FULL);
# prints p50/p90, or with --quantiles (part 7) the first 40 latencies and p10-p90.
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("pragma journal_mode=delete"); db.execute("pragma synchronous=full")
db.execute("create table if not exists t (id integer primary key, v text)")
n = int(sys.argv[2]); lat = []
for i in range(n):
    t = time.perf_counter(); db.execute("begin"); db.execute("insert into t (v) values (?)", ("x" * 100,)); db.execute("commit"); lat.append(time.perf_counter() - t)
if "--quantiles" in sys.argv[3:]:
    print(' '.join('%.2f' % (x * 1e3) for x in lat[:40]))
    s = sorted(lat); print(' '.join('p%d=%.2f' % (q, s[int(n * q / 100)] * 1e3) for q in (10, 25, 50, 75, 90)))
else:
    lat.sort(); print("p50 %.2f ms p90 %.2f ms" % (lat[n // 2] * 1e3, lat[int(n * 0.9)] * 1e3))
