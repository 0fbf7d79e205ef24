"""Session-wide test settings.

llama.cpp (llama-cpp-python) and whisper.cpp (pywhispercpp) both load a
``libggml`` of their own version under the same soname, and models of both
stay alive in this one test process until the interpreter finalizes. Freeing
them then can call back into a Python that is shutting down ("Fatal Python
error: PyThreadState_Get ... finalizing", exit 134) although every test
passed. So the test process ends right after pytest has reported, with
pytest's own exit status, without finalizing the interpreter. The nodes and
command-line tools each load at most one of the two libraries per process.
"""

from __future__ import annotations

import os
import sys

import pytest

_status: list[int] = []


def pytest_sessionfinish(session, exitstatus):
    _status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    if _status and not hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_status[-1])
