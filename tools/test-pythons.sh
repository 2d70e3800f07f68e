#!/usr/bin/env bash
# Run the unit tier on every Python 3.11-3.13 this machine has, each in a
# venv of its own (.venv-py3.X) with minder and the unit extras. The main
# .venv's Python already ran the whole suite, so it is not run again. A
# version that is missing is skipped with a message, never silently. The
# versions run side by side (CI has two cores), each into its own log,
# printed in order once all are done.
set -euo pipefail
cd "$(dirname "$0")/.."
main_version=$(.venv/bin/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

find_python() {
    local version=$1 candidate
    for candidate in "$pyenv_root"/versions/"$version".*/bin/python"$version"; do
        [ -x "$candidate" ] && { echo "$candidate"; return 0; }
    done
    candidate=$(command -v "python$version" 2>/dev/null) || return 1
    "$candidate" -c 'pass' >/dev/null 2>&1 || return 1  # a pyenv shim for a version not installed
    echo "$candidate"
}

unit_tier() {  # $1 version, $2 interpreter
    local version=$1 python=$2 venv=".venv-py$1"
    if [ ! -f "$venv/.installed" ] || [ pyproject.toml -nt "$venv/.installed" ]; then
        echo "test-pythons: preparing $venv from $python"
        rm -rf "$venv"
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install -q --upgrade pip
        "$venv/bin/python" -m pip install -q -e '.[unit]'
        touch "$venv/.installed"
    fi
    echo "test-pythons: unit tier on $("$venv/bin/python" --version)"
    "$venv/bin/python" -m pytest -p no:cacheprovider -q -m unit tests/unit
}

versions=()
pids=()
skipped=()
for version in 3.11 3.12 3.13; do
    if [ "$version" = "$main_version" ]; then
        continue
    fi
    if ! python=$(find_python "$version"); then
        echo "test-pythons: SKIP Python $version: not installed (no python$version on PATH or in $pyenv_root/versions)"
        skipped+=("$version")
        continue
    fi
    unit_tier "$version" "$python" > "$logs/$version" 2>&1 &
    versions+=("$version")
    pids+=($!)
done

failed=()
for i in "${!versions[@]}"; do
    status=0
    wait "${pids[$i]}" || status=$?
    grep -v "^WARNING: Location" "$logs/${versions[$i]}" || true
    [ "$status" -eq 0 ] || failed+=("${versions[$i]}")
done
echo "test-pythons: ran the unit tier on Python ${versions[*]:-(none besides $main_version)}" \
     "(and $main_version in the main run); skipped: ${skipped[*]:-none}; failed: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
