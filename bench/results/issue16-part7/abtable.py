import json,glob,sys
d=sys.argv[1]; runs=sys.argv[2].split(',')
ids=['point.p50','ocq.p50','ocq.p99','conc.1','conc.8','scan.cold','cpu.scan','write.p50','write.p99','write.bulk','mixed.delete','mixed.wal','copyin.plain','cpu.copyin','storecpu.copyin','cat.cold','cpu.cat']
data={}
for r in runs:
    f=glob.glob(f'{d}/{r}/*.json')[0]; j=json.load(open(f))
    t={x['name']:x for x in j['targets']}
    data[r]=t
def v(c):
    return c.get('value') if isinstance(c,dict) else None
print('| figure | ' + ' | '.join(runs) + ' |')
print('|---|' + '---:|'*len(runs))
for i in ids:
    cells=[]
    for r in runs:
        c=v(data[r]['chalkfs']['cells'].get(i,{})); l=v(data[r]['local']['cells'].get(i,{}))
        if c is None: cells.append('–'); continue
        s=f'{c:,.0f}' if c>=100 else f'{c:.2f}'
        if l and not i.startswith('cpu') and not i.startswith('store'): s+=f' ({l:,.0f})' if l>=100 else f' ({l:.2f})'
        cells.append(s)
    print(f'| {i} | ' + ' | '.join(cells) + ' |')
