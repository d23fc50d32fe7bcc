"""Seeds fuzz/corpus/<target>/ for the cargo-fuzz campaign (docs/fuzzing.md).

Reads the demo corpus and, from DETCAT_CORPUS (the real corpora, read locally), a fixed random
sample; writes content-addressed files under fuzz/corpus, which is never committed.
    DETCAT_CORPUS=../../shared/corpus python3 seed.py
"""
import os, sys, glob, hashlib, random, json, tomllib, re
random.seed(18)
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.environ.get("DETCAT_CORPUS") or sys.exit("set DETCAT_CORPUS to the real corpora")
if not os.path.isdir(corpus): sys.exit(f"{corpus} does not exist")
demo = f"{root}/crates/detcat_catalog/demo"
out = f"{root}/fuzz/corpus"
def put(target, data, cap):
    if isinstance(data, str): data = data.encode()
    if not data or len(data) > cap: return
    d = f"{out}/{target}"; os.makedirs(d, exist_ok=True)
    open(f"{d}/{hashlib.sha1(data).hexdigest()}", "wb").write(data)
def rd(p): return open(p, encoding="utf-8", errors="replace").read()
sigma_demo = glob.glob(f"{demo}/sigma/**/*.yml", recursive=True)
sigma_real = sorted(glob.glob(f"{corpus}/sigma/rules*/**/*.yml", recursive=True))
sigma_real = random.sample(sigma_real, 300)
for p in sigma_demo + sigma_real:
    t = rd(p); put("sigma_rule", t, 16384); put("yaml", t, 16384)
for p in glob.glob(f"{demo}/splunk/**/*.yml", recursive=True): put("yaml", rd(p), 16384)
# conditions
conds = set()
for p in sigma_demo + sorted(glob.glob(f"{corpus}/sigma/rules*/**/*.yml", recursive=True)):
    for m in re.finditer(r"^\s+condition:\s*(.+)$", rd(p), re.M):
        c = m.group(1).strip().strip("'\"")
        if c: conds.add(c)
for c in conds: put("sigma_condition", c, 4096)
# elastic queries by language
lang = {"kuery": "kql", "eql": "eql", "esql": "esql", "lucene": "lucene"}
per = {}
for p in glob.glob(f"{demo}/elastic/**/*.toml", recursive=True) + sorted(glob.glob(f"{corpus}/elastic/rules*/**/*.toml", recursive=True)):
    try: r = tomllib.loads(rd(p)).get("rule", {})
    except Exception: continue
    l = lang.get(r.get("language")); q = r.get("query")
    if l and q: per.setdefault(l, []).append(q)
for l, qs in per.items():
    for q in (qs if len(qs) < 400 else random.sample(qs, 400)): put(l, q, 4096)
# splunk searches
searches = []
for p in glob.glob(f"{demo}/splunk/**/*.yml", recursive=True) + sorted(glob.glob(f"{corpus}/splunk/detections/**/*.yml", recursive=True)):
    t = rd(p)
    m = re.search(r"^search:\s*(['\"|>]?)(.*?)(?=^\w+:)", t, re.M | re.S)
    if m: searches.append(m.group(2).strip().strip("'"))
for q in random.sample(searches, min(400, len(searches))): put("spl", q, 4096)
for p in glob.glob(f"{demo}/splunk/**/*.yml", recursive=True): put("spl", rd(p), 8192)
# stix: demo bundle, and small bundles of a few objects each
b = json.load(open(f"{demo}/attack/demo-attack.json"))
put("stix", json.dumps(b), 65536)
objs = b["objects"]
for i in range(0, len(objs), 4):
    put("stix", json.dumps({"type": "bundle", "id": b.get("id", "bundle--x"), "spec_version": "2.0", "objects": objs[i:i+6]}), 65536)
# events: written shapes live in the smoke test; here the smallest regression recordings
ev = sorted(glob.glob(f"{corpus}/sigma/regression_data/**/*.evtx", recursive=True), key=os.path.getsize)
for p in ev[:6]:
    d = open(p, "rb").read()
    put("event_readers", b"\x00" + d, 1 << 20)
    put("event_readers", b"\x01" + d[8:], 1 << 20)
js = sorted(glob.glob(f"{corpus}/sigma/regression_data/**/*.json", recursive=True), key=os.path.getsize)
for p in js[:20]:
    d = open(p, "rb").read()
    put("event_readers", b"\x00" + d, 65536); put("event_readers", b"\x02" + d, 65536)
# written by us
for q in [r'a:x AND b:(y OR /z[0-9]+/) AND NOT c:[1 TO 5] _exists_:d +e:f -g:h',
          r'process.name:cmd.exe AND process.args:("/c" OR "/k") AND NOT user.name:SYSTEM',
          r'event.code:4688 AND winlog.event_data.NewProcessName:*\\powershell.exe',
          r'destination.port:{1024 TO *] OR source.port:[* TO 80}',
          r'message:"quoted \"phrase\""~3 AND title:foo^2 AND body:fuzzy~ AND x:te?t*',
          r'(a:1 || b:2) && !c:3',
          r'file.path:C\:\\Windows\\* AND registry.path:HKLM\\SOFTWARE\\*',
          r'*:* AND NOT _exists_:process.parent.name',
          r'url.original:/.*\/wp-admin\/.*/ AND http.request.method:(GET OR POST)',
          r'host.name:"a b" AND tags:(x y z) AND count:>=5 AND size:<10']:
    put("lucene", q, 4096)
for q in ["`sysmon` EventCode=7 | lookup fuzz_dlls dll AS ImageLoaded OUTPUT hit | search hit=true",
          "| tstats count from datamodel=Endpoint.Processes where `process_cmd` by Processes.dest | `ctime(firstTime)`",
          "`pair(firstTime, lastTime)` | `loop` | `fan` | `missing(x)`",
          'index=x | lookup fuzz_dlls dll OUTPUTNEW note | where isnull(note) AND hit!="false"']:
    put("spl", q, 4096)
for e in [b'\x00{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\\\x.exe","CommandLine":"x /c"}}}',
          b'\x03{"Image":"C:\\\\a\\\\b.exe","EventCode":"1"}\n{"EventID":3,"DestinationIp":"10.1.2.3"}\n',
          b'\x02[{"a":1},{"a":[1,2,{"b":null}]},{"c":"\\u00e9\\ud83d\\ude00"}]',
          b'\x00{"@timestamp":"2025-01-01T00:00:00Z","event":{"category":["process"]},"process":{"executable":"C:\\\\a.exe","args":["a","-x"]},"winlog":{"channel":"Security","event_id":"4688"}}']:
    put("event_readers", e, 65536)
smoke = rd(f"{root}/crates/detcat_catalog/tests/fuzz_smoke.rs")
for v in re.findall(r'r#"(.*?)"#', smoke[smoke.index("const SIGMA_SEEDS"):smoke.index("fn fuzz_smoke_yaml_and_sigma")], re.S):
    put("sigma_rule", v, 16384); put("yaml", v, 16384)
for t in sorted(os.listdir(out)): print(t, len(os.listdir(f"{out}/{t}")), sum(os.path.getsize(f"{out}/{t}/{f}") for f in os.listdir(f"{out}/{t}")))
