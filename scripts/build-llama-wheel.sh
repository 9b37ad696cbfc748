#!/usr/bin/env bash
# Build llama-cpp-python's wheel once and keep it in a cache outside the repository: it compiles
# llama.cpp on install (10-16 minutes on 2 cores), so fresh clones, `make setup` and CI reuse it.
# Portable CPU flags (no -march=native) so a cached wheel also runs on a sibling machine.
set -euo pipefail
PY=${1:-.venv/bin/python}
VERSION=$(sed -n 's/.*"llama-cpp-python\[server\]==\([0-9.]*\)".*/\1/p' pyproject.toml)
WHEELS=${COMPANY_REVIEWER_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/company-reviewer/wheels}
mkdir -p "$WHEELS"
if ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl >/dev/null 2>&1; then
  echo "$WHEELS"
  exit 0
fi
echo "building llama-cpp-python $VERSION (compiles llama.cpp; about 10-16 minutes, once)" >&2
export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
"$PY" -m pip wheel --quiet --disable-pip-version-check --no-deps -w "$WHEELS" "llama-cpp-python==$VERSION" >&2
echo "$WHEELS"
