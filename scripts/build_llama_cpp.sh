#!/usr/bin/env bash
# Build llama-cpp-python (llama.cpp's Python binding, for the planner) from its PyPI
# source for this machine's CPU (scripts/ggml_cpu_flags.sh) and install it into the
# virtual environment, with the other packages of requirements-llm.txt.
#
# Usage: scripts/build_llama_cpp.sh [VENV]   (default .venv; run by `make setup`)
#
# The build takes about ten minutes on two cores. Its wheel is kept in
# ${XDG_CACHE_HOME:-~/.cache}/agent_node/wheels under a hash of the version, the CPU
# options, CMAKE_ARGS and this script: pip's own wheel cache knows none of these and
# would hand back a wheel built for other options. A stamp in VENV with the same hash
# makes a second run take no time. CMAKE_ARGS adds CMake options (-DGGML_CUDA=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(cd "${1:-.venv}" && pwd)
PY="$VENV/bin/python"
VERSION=$(sed -n 's/^llama-cpp-python==\([^ ]*\).*/\1/p' requirements-llm.txt)
OPTIONS="$(bash scripts/ggml_cpu_flags.sh) -DLLAVA_BUILD=OFF ${CMAKE_ARGS:-}"
KEY=$( (echo "$VERSION $OPTIONS"; cat scripts/build_llama_cpp.sh) | sha256sum | cut -c1-16)
STAMP="$VENV/.llama-cpp-python-$KEY"
if [ -f "$STAMP" ] && "$PY" -c 'import llama_cpp' 2>/dev/null; then
    exit 0
fi
WHEELS="${XDG_CACHE_HOME:-$HOME/.cache}/agent_node/wheels/llama-cpp-python-$VERSION-$KEY"
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
    echo "building llama-cpp-python $VERSION with $OPTIONS (about ten minutes)"
    CMAKE_ARGS="$OPTIONS" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
        "$PY" -m pip wheel -q --disable-pip-version-check --no-deps --no-cache-dir \
        --no-binary llama-cpp-python "llama-cpp-python==$VERSION" -w "$WORK"
    mkdir -p "$WHEELS"
    mv "$WORK"/llama_cpp_python-*.whl "$WHEELS"/
fi
"$PY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$WHEELS"/llama_cpp_python-*.whl
"$PY" -m pip install -q --disable-pip-version-check -r requirements-llm.txt  # its dependencies
rm -f "$VENV"/.llama-cpp-python-*
touch "$STAMP"
