#!/usr/bin/env bash
# Crawl every internal link of the web catalog (issue 14): 0 non-200 links, no page over
# 150 KB gzipped, no server path on any page. CI crawls the demo catalog (the `crawl` test);
# this crawls a full one:  tools/crawl.sh /tmp/web.db
# On a full catalog every field page links a search per value (tens of thousands; `value:`
# searches are answered from an in-memory index, so all are fetched by default).
# DETCAT_CRAWL_SEARCH_EVERY=20 fetches one in 20 of those for a quicker look (every search a
# technique page links is still fetched).
set -euo pipefail
cd "$(dirname "$0")/.."
catalog="$(realpath "${1:?usage: tools/crawl.sh CATALOG.db}")"
DETCAT_CRAWL_CATALOG="$catalog" CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" \
  cargo test --profile release -p detcat_web --test crawl -- --nocapture every_internal_link_of_a_full_catalog
