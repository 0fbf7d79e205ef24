#!/usr/bin/env bash
# Build pywhispercpp (whisper.cpp's Python binding) from its PyPI source with
# scripts/patches/whisper.cpp-prompt-logits.patch applied, into the virtual
# environment: the catalog prompt that biases Whisper toward the robot's words
# then costs a third of what it does in the prebuilt wheel (see the patch's header).
#
# Usage: scripts/build_pywhispercpp.sh [VENV]   (default .venv; run by `make setup`)
#
# Idempotent: a stamp in VENV names the version and a sha256 of the patch, this script,
# the CPU options and CMAKE_ARGS, so a second run (or `make setup` after an unrelated
# change) takes no time. The CPU options are llama-cpp-python's (scripts/ggml_cpu_flags.sh);
# CMAKE_ARGS adds more. OpenMP stays on: ggml's own thread pool spins, and beside a busy
# planner transcription ran seven times slower.
# LLAMAFILE (on in llama.cpp's build, off by default in whisper.cpp's) gives ggml the
# tinyBLAS matrix kernels: the float16 encoder runs 1.4 times as fast (0.47 -> 0.33 s
# per pass).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(cd "${1:-.venv}" && pwd)
PY="$VENV/bin/python"
VERSION=1.5.1
PATCH=scripts/patches/whisper.cpp-prompt-logits.patch
CPU_OPTIONS=$(bash scripts/ggml_cpu_flags.sh)
STAMP="$VENV/.pywhispercpp-$VERSION-$( (cat "$PATCH" scripts/build_pywhispercpp.sh; echo "$CPU_OPTIONS ${CMAKE_ARGS:-}") \
    | sha256sum | cut -c1-16)"
if [ -f "$STAMP" ] && "$PY" -c 'import _pywhispercpp' 2>/dev/null; then
    exit 0
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$PY" -m pip download -q --disable-pip-version-check --no-deps --no-binary pywhispercpp \
    "pywhispercpp==$VERSION" -d "$WORK"
tar -xzf "$WORK/pywhispercpp-$VERSION.tar.gz" -C "$WORK"
SRC="$WORK/pywhispercpp-$VERSION"
patch -s -p1 -d "$SRC/whisper.cpp" < "$PATCH"
# pywhispercpp's setup.py hands every environment variable to CMake as -DNAME=VALUE
# (so the CPU options go in as NAME=VALUE).
# whisper.cpp and its ggml are linked into the binding itself: llama-cpp-python brings
# its own, other libggml*.so, and a shared libggml-base.so.0 of whisper.cpp's loaded
# first would stand in for llama.cpp's ("undefined symbol: ggml_rope_set_offset").
# shellcheck disable=SC2086  # one word per option
env ${CPU_OPTIONS//-D/} GGML_LLAMAFILE=ON \
    WHISPER_BUILD_TESTS=OFF WHISPER_BUILD_EXAMPLES=OFF \
    BUILD_SHARED_LIBS=OFF CMAKE_POSITION_INDEPENDENT_CODE=ON \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    "$PY" -m pip install -q --disable-pip-version-check --no-deps --force-reinstall "$SRC"
rm -f "$VENV"/.pywhispercpp-*
"$PY" -c 'import _pywhispercpp, llama_cpp'  # loads from the venv alone, beside llama.cpp
touch "$STAMP"
