#!/usr/bin/env python3
"""Times every technique page of a running detcat server, each fetched once: its first answer,
before the server's response cache holds it (render, and the coding the request asks for).

    tools/technique_times.py CATALOG.db http://127.0.0.1:PORT [br|gzip|identity]

Prints p50/p99/max and the slowest pages. The pages are every technique with a stored page
(`technique_pages`); start the server fresh, since a page already asked for is a cache hit."""
import http.client, sqlite3, sys, time, urllib.parse

catalog, base = sys.argv[1], sys.argv[2]
coding = sys.argv[3] if len(sys.argv) > 3 else "br"
headers = {} if coding == "identity" else {"Accept-Encoding": coding}
db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
ids = [r[0] for r in db.execute("SELECT technique_id FROM technique_pages ORDER BY technique_id")]
u = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
times, bad = [], []
for t_id in ids:
    path = "/technique/" + urllib.parse.quote(t_id, safe="")
    t = time.perf_counter()
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    r.read()
    times.append(((time.perf_counter() - t) * 1000, path))
    if r.status != 200:
        bad.append((r.status, path))
times.sort()
ms = [t for t, _ in times]
if not ms:
    sys.exit("the catalog has no technique pages")
print(f"{len(ms)} pages ({coding}): p50 {ms[len(ms) // 2]:.2f} ms, "
      f"p99 {ms[min(len(ms) - 1, int(len(ms) * 0.99))]:.2f} ms, max {ms[-1]:.2f} ms")
for t, path in times[-5:]:
    print(f"  {t:7.2f} ms  {path}")
if bad:
    print("non-200:", bad[:10])
    sys.exit(1)
