#!/usr/bin/env bash
# Every benchmark in bench/, each with its defaults, in one run (`make bench`); BENCH="a b" picks some.
# Each prints its figures next to its baseline. One that fails is reported and the rest still run;
# the exit status says whether all passed. Long: the whole set takes hours on 2 cores (detector,
# llm and rating_ceiling are the long ones), so `make bench BENCH=aspects` is the everyday form.
set -uo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export COMPANY_REVIEWER_DATA_DIR=${COMPANY_REVIEWER_DATA_DIR:-$(mktemp -d /tmp/company-reviewer-bench.XXXXXX)}
# name -> arguments (evidence_quotes reports on the stored judgments; collecting needs a before-checkout).
declare -A ARGS=([evidence_quotes]="report")
ALL="ingest batch review_speed encode_speed api_load api_abuse aspects rating_accuracy rating_stars \
rating_ceiling taxonomy detector llm evidence_quotes"
failed=()
for name in ${BENCH:-$ALL}; do
  if [ ! -f "bench/$name.py" ]; then
    echo "unknown benchmark '$name'; known: $ALL" >&2
    failed+=("$name"); continue
  fi
  echo "=== bench/$name.py ${ARGS[$name]:-}" >&2
  start=$SECONDS
  # shellcheck disable=SC2086  # the arguments are words
  if .venv/bin/python "bench/$name.py" ${ARGS[$name]:-}; then
    echo "=== bench/$name.py done in $((SECONDS - start)) s" >&2
  else
    echo "=== bench/$name.py FAILED (exit $?) after $((SECONDS - start)) s" >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}" >&2
  exit 1
fi
