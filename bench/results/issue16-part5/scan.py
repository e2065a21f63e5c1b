import sqlite3, sys, time
t=time.time(); db=sqlite3.connect('file:%s?mode=ro'%sys.argv[1], uri=True)
n,s=db.execute('SELECT count(*), sum(length(name)+length(email)+length(bio)+created_at%7) FROM users').fetchone()
import os; print('%.0f MB/s'%(os.path.getsize(sys.argv[1])/1e6/(time.time()-t)), n)
