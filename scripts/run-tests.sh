#!/usr/bin/env bash
# Run the whole test suite against SQLite and a real PostgreSQL (started here when needed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${COMPANY_REVIEWER_TEST_PG_URL:-}" ]; then
  COMPANY_REVIEWER_TEST_PG_URL=$(scripts/pg-test-server.sh start)
  export COMPANY_REVIEWER_TEST_PG_URL
fi
# Tests write their databases and caches under a throwaway data directory, never the user's.
export COMPANY_REVIEWER_DATA_DIR=${COMPANY_REVIEWER_DATA_DIR:-$(mktemp -d /tmp/company-reviewer-test.XXXXXX)}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
args=(-q -p no:cacheprovider)
[ -n "${SKIP_SLOW:-}" ] && args+=(-m "not slow")
exec .venv/bin/python -m pytest "${args[@]}" "$@"
