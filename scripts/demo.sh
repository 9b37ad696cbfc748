#!/usr/bin/env bash
# The main job on the bundled, fictional demo reviews: review every company with the embedded
# default model and print the readable (Markdown) review. Also ingests them into the store, so
# `company-reviewer review --company NAME` and `companies` work afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
demo=src/company_reviewer/demo/reviews.csv
.venv/bin/company-reviewer ingest "$demo" >/dev/null
.venv/bin/company-reviewer review "$demo" --format markdown
echo
echo "JSON for the same companies: .venv/bin/company-reviewer review $demo --format json" >&2
