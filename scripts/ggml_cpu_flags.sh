#!/usr/bin/env bash
# Print the CMake options that build ggml (llama.cpp's and whisper.cpp's) for this
# machine's CPU, one line: `-DGGML_AVX2=ON -DGGML_FMA=ON ...`.
#
# On x86-64 each instruction set is named only when /proc/cpuinfo lists it, as
# -march=native would find it, but by name, so the build says what it assumes. With
# AVX-512 both models run faster than with AVX2 alone on this project's 2-core machine
# (README, "Development"). On other CPUs (a Jetson's ARM) the compiler's -mcpu=native
# decides. CPUINFO_FILE reads another file than /proc/cpuinfo (the tests do).
set -euo pipefail
if [ "$(uname -m)" != x86_64 ]; then
    echo "-DGGML_NATIVE=ON"
    exit 0
fi
CPU=" $(grep -m1 '^flags' "${CPUINFO_FILE:-/proc/cpuinfo}" 2>/dev/null | cut -d: -f2) "
has() { for f in "$@"; do [[ "$CPU" == *" $f "* ]] || return 1; done; }
OPTS="-DGGML_NATIVE=OFF"
has avx && OPTS+=" -DGGML_AVX=ON"
has avx2 && OPTS+=" -DGGML_AVX2=ON"
has fma && OPTS+=" -DGGML_FMA=ON"
has f16c && OPTS+=" -DGGML_F16C=ON"
has bmi2 && OPTS+=" -DGGML_BMI2=ON"
has avx_vnni && OPTS+=" -DGGML_AVX_VNNI=ON"
if has avx512f avx512cd avx512vl avx512dq avx512bw; then
    OPTS+=" -DGGML_AVX512=ON"
    has avx512vbmi && OPTS+=" -DGGML_AVX512_VBMI=ON"
    has avx512_vnni && OPTS+=" -DGGML_AVX512_VNNI=ON"
    has avx512_bf16 && OPTS+=" -DGGML_AVX512_BF16=ON"
fi
echo "$OPTS"
