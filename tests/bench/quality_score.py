#!/usr/bin/env python3
"""Interim fidelity scorer (standard library only) used by `make bench` until validation/ lands.

Usage: quality_score.py REAL.csv SYNTH.csv [MAX_ROWS] [-v]
       quality_score.py --shuffle REAL.csv OUT.csv   (write a column-wise shuffle of REAL)

Definitions follow the reference (SDMetrics QualityReport): column shapes = KS complement for
numeric columns, TV complement for the others; column pair trends = 1 - |r_real - r_synth| / 2
(Pearson) for numeric pairs, contingency similarity (1 - total variation distance of the joint
frequencies; numeric columns cut into 10 equal-width bins of the real range) for the others.
Columns whose first 2000 real values are all integers are numeric.
"""
import random
import csv, sys, math, bisect
from collections import Counter
def load(p, n=None):
    with open(p, newline='') as f:
        r = csv.reader(f); h = next(r); rows = []
        for i,row in enumerate(r):
            if n and i>=n: break
            rows.append(row)
    return h, rows
if sys.argv[1] == '--shuffle':
    h, R = load(sys.argv[2])
    random.seed(1)
    cols = [[r[c] for r in R] for c in range(len(h))]
    for c in cols:
        random.shuffle(c)
    with open(sys.argv[3], 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(h)
        for i in range(len(R)):
            w.writerow([cols[c][i] for c in range(len(h))])
    sys.exit(0)
h, R = load(sys.argv[1]); _, S = load(sys.argv[2], int(sys.argv[3]) if len(sys.argv)>3 and sys.argv[3].isdigit() and sys.argv[3] != '0' else None)
num = [c for c in range(len(h)) if all(x.strip().lstrip('-').isdigit() for x in (r[c] for r in R[:2000]))]
cat = [c for c in range(len(h)) if c not in num]
def col(rows,c,f=str): return [f(r[c]) for r in rows]
def ks(a,b):
    a=sorted(a); b=sorted(b); i=j=0; d=0; na,nb=len(a),len(b)
    vals=sorted(set(a)|set(b))
    for v in vals:
        i=bisect.bisect_right(a,v); j=bisect.bisect_right(b,v); d=max(d,abs(i/na-j/nb))
    return d
def tv(a,b):
    ca,cb=Counter(a),Counter(b); na,nb=len(a),len(b)
    return 0.5*sum(abs(ca[k]/na-cb[k]/nb) for k in set(ca)|set(cb))
shapes={}
for c in num: shapes[h[c]]=1-ks(col(R,c,float),col(S,c,float))
for c in cat: shapes[h[c]]=1-tv(col(R,c),col(S,c))
def pearson(x,y):
    n=len(x); mx=sum(x)/n; my=sum(y)/n
    sxy=sum((a-mx)*(b-my) for a,b in zip(x,y)); sx=math.sqrt(sum((a-mx)**2 for a in x)); sy=math.sqrt(sum((b-my)**2 for b in y))
    return sxy/(sx*sy) if sx>0 and sy>0 else 0
def binner(c):
    v=col(R,c,float); lo,hi=min(v),max(v); w=(hi-lo)/10 or 1
    return lambda x: min(9,max(0,int((float(x)-lo)/w)))
bins={c:binner(c) for c in num}
def disc(rows,c): return [bins[c](r[c]) for r in rows] if c in num else col(rows,c)
pairs={}
for i in range(len(h)):
    for j in range(i+1,len(h)):
        if i in num and j in num:
            pr=pearson(col(R,i,float),col(R,j,float)); ps=pearson(col(S,i,float),col(S,j,float))
            pairs[(h[i],h[j])]=1-abs(pr-ps)/2
        else:
            pairs[(h[i],h[j])]=1-tv(list(zip(disc(R,i),disc(R,j))),list(zip(disc(S,i),disc(S,j))))
sh=sum(shapes.values())/len(shapes); pt=sum(pairs.values())/len(pairs)
print("shapes %.4f pairs %.4f overall %.4f"%(sh,pt,(sh+pt)/2))
if '-v' in sys.argv:
    for k,v in sorted(shapes.items(), key=lambda kv: kv[1])[:5]: print(" shape",k,round(v,4))
    for k,v in sorted(pairs.items(), key=lambda kv: kv[1])[:12]: print(" pair",k,round(v,4))
