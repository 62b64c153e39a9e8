"""How much each part of the search request costs Meilisearch itself (no service in between).

Loads the BBC corpus through the real clean/enrich/document functions into a throw-away
Meilisearch on a free port, then times the service's own multi-search variants:
`.venv/bin/python services/search/probe_queries.py`. Besides wall time it reports
processingTimeMs and Meilisearch's CPU time per search, which other load disturbs far less.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import httpx

from newswire_clean.core import EmptyArticleError, clean_article
from newswire_cli.stack import free_port, meili_binary
from newswire_common.contracts import RawArticle, utcnow
from newswire_enrich.core import enrich_article
from newswire_index.documents import ARTICLE_SETTINGS, AUTHOR_SETTINGS, to_documents
from newswire_search.query import SearchRequest, build_queries

port = free_port(); d = tempfile.mkdtemp()
p = subprocess.Popen([str(meili_binary()), "--db-path", d+"/m", "--http-addr", f"127.0.0.1:{port}", "--no-analytics", "--max-indexing-threads", "2", "--master-key", "k"*20], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
H = {"Authorization": "Bearer " + "k"*20, "Accept-Encoding": "identity"}
c = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=H, timeout=60)
for _ in range(50):
    try:
        c.get("/health"); break
    except httpx.HTTPError: time.sleep(0.2)
def wait(t):
    while c.get(f"/tasks/{t['taskUid']}").json()["status"] not in ("succeeded","failed"): time.sleep(0.1)
wait(c.post("/indexes", json={"uid":"articles","primaryKey":"id"}).json())
wait(c.patch("/indexes/articles/settings", json=ARTICLE_SETTINGS).json())
wait(c.post("/indexes", json={"uid":"authors","primaryKey":"id"}).json())
wait(c.patch("/indexes/authors/settings", json=AUTHOR_SETTINGS).json())
from newswire_cli.stack import REPO_ROOT

corpus = os.environ.get("NEWSWIRE_BBC_CORPUS", str(REPO_ROOT.parent / "shared/corpora/bbc/bbc.ndjson"))
with open(corpus) as lines:
    rows = [json.loads(l) for l in lines]
docs = []
for r in rows:
    raw = RawArticle(article_id=r["id"], trace_id="t", received_at=utcnow(), text=r["text"], title=r["title"], url=f"https://bbc.example/{r['category']}/{r['id']}")
    try:
        s, _ = to_documents(enrich_article(clean_article(raw)))
    except EmptyArticleError: continue  # nothing left to index, as in the pipeline
    s["indexed_at_ts"]=1; docs.append(s)
wait(c.post("/indexes/articles/documents", json=docs).json())
print("docs", len(docs), file=sys.stderr)
words = ["economy","minister","film","election","growth","music","football","court","prices","shares","labour","technology","mobile","award","china"]
def meili_cpu_s():
    # Meilisearch's own CPU time: far less disturbed by other load on the machine than wall time.
    with open(f"/proc/{p.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def run(label, mutate, facets=False):
    times=[]; processing=[]
    cpu = meili_cpu_s()
    for i in range(300):
        q = words[i % len(words)]
        queries, _ = build_queries(SearchRequest(q=q, facets=facets))
        body = {"queries": [mutate(dict(x)) for x in queries]}
        t=time.perf_counter(); r = c.post("/multi-search", json=body); times.append((time.perf_counter()-t)*1000)
        processing.append(sum(x["processingTimeMs"] for x in r.json()["results"]))
    cpu = (meili_cpu_s() - cpu) / 300 * 1000
    times.sort(); processing.sort()
    print(f"{label:40s} p50 {times[150]:5.2f} p99 {times[296]:5.2f} ms  processingTimeMs p50 {processing[150]} p99 {processing[296]}  Meilisearch CPU {cpu:.2f} ms/search  load {os.getloadavg()[0]:.1f}", file=sys.stderr)
run("as sent (no facets)", lambda x: x)
run("facets=true", lambda x: x, facets=True)
run("facets=true, entity facets left out", lambda x: {**x, "facets": [f for f in x["facets"] if not f.startswith("entities.")]} if "facets" in x else x, facets=True)
run("no highlight/crop", lambda x: {k:v for k,v in x.items() if k not in ("attributesToHighlight","attributesToCrop")})
run("title highlight only, no crop", lambda x: {**{k:v for k,v in x.items() if k!="attributesToCrop"}, "attributesToHighlight": ["title"]} if x.get("indexUid")=="articles" else x)
run("stories only", lambda x: x if x.get("indexUid")=="articles" else {**x, "limit": 0, "q": ""})
p.terminate()
p.wait(10)
shutil.rmtree(d, ignore_errors=True)
