#!/usr/bin/env python3
"""Times every field page of a running detcat server, each fetched once (uncached: the
server's response cache holds a page only after its first request).

    tools/field_times.py CATALOG.db http://127.0.0.1:PORT [html|api|both]

Prints p50/p99/max and the slowest pages. The field list is every canonical field of the
catalog's predicates and triples, and every field of the taxonomy."""
import http.client, sqlite3, statistics, sys, time, urllib.parse

catalog, base = sys.argv[1], sys.argv[2]
kinds = {"html": ["/field/"], "api": ["/api/field/"], "both": ["/field/", "/api/field/"]}[
    sys.argv[3] if len(sys.argv) > 3 else "both"]
db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
fields = sorted({r[0] for r in db.execute(
    "SELECT canonical FROM predicates UNION SELECT field FROM triples UNION SELECT id FROM canonical_fields")})
u = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
for prefix in kinds:
    times, bad = [], []
    for f in fields:
        path = prefix + urllib.parse.quote(f, safe="")
        t = time.perf_counter()
        conn.request("GET", path, headers={"Accept-Encoding": "br, gzip"})
        r = conn.getresponse()
        r.read()
        dt = (time.perf_counter() - t) * 1000
        times.append((dt, path))
        if r.status != 200:
            bad.append((r.status, path))
    ms = sorted(t for t, _ in times)
    p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(f"{prefix}F: {len(ms)} pages, p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {ms[-1]:.1f} ms, non-200 {len(bad)}")
    for dt, path in sorted(times, reverse=True)[:5]:
        print(f"   {dt:7.1f} ms  {path}")
    for s, path in bad[:10]:
        print(f"   HTTP {s} {path}")
