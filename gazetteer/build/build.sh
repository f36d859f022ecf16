#!/usr/bin/env bash
# Regenerates gazetteer/generated/*.tsv: a fresh virtualenv with the pinned packages of
# requirements.txt, then build.py and first_names.py. Usage: bash gazetteer/build/build.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${KGBUILD_GAZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/kgbuild/gazetteer-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt"
PYTHONHASHSEED=0 "$venv/bin/python" "$here/build.py"
PYTHONHASHSEED=0 "$venv/bin/python" "$here/first_names.py"
