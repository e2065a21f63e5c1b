import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("pragma journal_mode=delete")
db.execute("create table if not exists t (id integer primary key, a text, b integer)")
n = int(sys.argv[2]); t = time.perf_counter()
db.execute("begin")
db.executemany("insert into t (a, b) values (?, ?)", (("row %d padding padding padding padding padding" % i, i) for i in range(n)))
db.execute("commit")
print("%.0f rows/s" % (n / (time.perf_counter() - t)))
