#!/usr/bin/env bash
# The main job on bundled, fictional demo reviews with the embedded default model.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
demo=src/company_reviewer/demo/reviews.csv
.venv/bin/company-reviewer ingest "$demo"
.venv/bin/company-reviewer companies
