#!/usr/bin/env bash
# Build the ROS 2 interfaces packages home_robot_interfaces/ and test/nav2_msgs/ (the Nav2
# Jazzy actions the tests serve, field for field; nav2_msgs is not on PyPI) with colcon, from the
# ROS 2 Jazzy wheels of requirements-ros.txt, into the virtual environment itself
# (its messages land in site-packages, its libraries in VENV/lib, where the wheels'
# own bootstrapper already points the dynamic loader), so plain `VENV/bin/python`
# and the console scripts find them with no setup file to source.
#
# Usage: scripts/build_ros_interfaces.sh [VENV]   (default .venv; run by `make setup`)
#
# The wheels need two fixes before rosidl can build against them:
#  - their exported *__rosidl_generator_pyExport.cmake files name the wheel builder's
#    Python and numpy include directories (/opt/python/cp311-cp311/...): they are
#    rewritten to this machine's (idempotent: a second run finds nothing to rewrite);
#  - AMENT_PREFIX_PATH must point at the venv while building.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(cd "${1:-.venv}" && pwd)
PY="$VENV/bin/python"

PY_INCLUDE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
NUMPY_INCLUDE=$("$PY" -c 'import numpy; print(numpy.get_include())')
if [ ! -f "$PY_INCLUDE/Python.h" ]; then
    echo "build_ros_interfaces: $PY_INCLUDE/Python.h is missing: install Python's headers" \
         "(Debian: apt-get install python3-dev)" >&2
    exit 1
fi

for f in "$VENV"/share/*/cmake/*__rosidl_generator_pyExport.cmake; do
    if grep -q '/opt/python/cp3' "$f"; then
        sed -i -E \
            -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/lib/python3\.[0-9]+/site-packages/numpy/_core/include#$NUMPY_INCLUDE#g" \
            -e "s#/opt/python/cp3[0-9]+-cp3[0-9]+/include/python3\.[0-9]+#$PY_INCLUDE#g" "$f"
    fi
done

WS="$VENV/ros_ws"
mkdir -p "$WS"
PATH="$VENV/bin:$PATH" AMENT_PREFIX_PATH="$VENV" VIRTUAL_ENV="$VENV" \
    "$VENV/bin/colcon" --log-base "$WS/log" build \
    --base-paths home_robot_interfaces test/nav2_msgs \
    --build-base "$WS/build" --install-base "$VENV" --merge-install \
    --event-handlers console_stderr- status- \
    --cmake-args -DBUILD_TESTING=OFF -DPython3_EXECUTABLE="$PY" -DPython3_FIND_VIRTUALENV=ONLY

"$PY" -c 'from home_robot_interfaces.action import NavigateTo; from home_robot_interfaces.srv import FindObject
from nav2_msgs.action import NavigateToPose, Spin'
echo "home_robot_interfaces and nav2_msgs built into $VENV"
