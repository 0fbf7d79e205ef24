"""The CPU options both ggml builds get (scripts/ggml_cpu_flags.sh), and that the
installed bindings were built with them."""

from __future__ import annotations

import platform
import re
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "ggml_cpu_flags.sh"
X86 = platform.machine() == "x86_64"
AVX2 = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma bmi2 avx2"
AVX512 = "avx512f avx512dq avx512cd avx512bw avx512vl"


def options(tmp_path: Path | None = None, flags: str | None = None) -> list[str]:
    env = None
    if flags is not None:
        cpuinfo = tmp_path / "cpuinfo"
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\nbugs\t\t: spectre_v1\n")
        env = {"CPUINFO_FILE": str(cpuinfo), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, check=True)
    return done.stdout.split()


@pytest.mark.skipif(not X86, reason="x86-64 options")
def test_each_instruction_set_is_named_only_when_the_cpu_lists_it(tmp_path):
    assert options(tmp_path, AVX2) == ["-DGGML_NATIVE=OFF", "-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON",
                                       "-DGGML_F16C=ON", "-DGGML_BMI2=ON"]
    assert options(tmp_path, f"{AVX2} {AVX512}")[-1] == "-DGGML_AVX512=ON"
    # AVX-512 needs all five of ggml's subsets; the extensions come only with it
    assert not [o for o in options(tmp_path, f"{AVX2} {AVX512.replace('avx512bw', '')} avx512_vnni") if "512" in o]
    assert options(tmp_path, f"{AVX2} {AVX512} avx512_vnni avx512vbmi")[-3:] == [
        "-DGGML_AVX512=ON", "-DGGML_AVX512_VBMI=ON", "-DGGML_AVX512_VNNI=ON"]
    assert options(tmp_path, "fpu sse sse2") == ["-DGGML_NATIVE=OFF"]


@pytest.mark.skipif(not X86, reason="x86-64 options")
@pytest.mark.parametrize("binding", ["llama_cpp", "_pywhispercpp"])
def test_both_bindings_are_built_for_this_cpu(binding):
    module = pytest.importorskip(binding)
    info = module.llama_print_system_info().decode() if binding == "llama_cpp" else module.whisper_print_system_info()
    for option in options():
        name = re.fullmatch(r"-DGGML_(\w+)=ON", option)
        if name:
            assert f"{name[1]} = 1" in info, (option, info)
