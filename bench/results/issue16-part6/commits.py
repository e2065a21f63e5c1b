import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("pragma journal_mode=delete"); db.execute("pragma synchronous=full")
db.execute("create table if not exists t (id integer primary key, v text)")
n = int(sys.argv[2]); lat = []
for i in range(n):
    t = time.perf_counter(); db.execute("begin"); db.execute("insert into t (v) values (?)", ("x" * 100,)); db.execute("commit"); lat.append(time.perf_counter() - t)
lat.sort(); print("p50 %.2f ms p90 %.2f ms" % (lat[n // 2] * 1e3, lat[int(n * 0.9)] * 1e3))
