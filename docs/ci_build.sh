#!/usr/bin/env bash
# Build the documentation as CI checks it: nitpicky (-n), every warning an error (-W), the gallery
# executed in fast mode (CAUSALMIX_FAST=1, set by the Makefile). Needs the docs and datasets extras:
#   pip install -e ".[docs,datasets]"      (keeps the installed torch)
# Usage (from anywhere):  bash docs/ci_build.sh [--no-gallery]
#   --no-gallery  build without running the examples (tests/test_examples.py runs them anyway).
set -euo pipefail
cd "$(dirname "$0")"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
python - <<'PY'
import importlib.util, sys
missing = [m for m in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme",
                       "sphinx-mathjax-offline") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"docs/ci_build.sh: missing {missing}; install the docs extra: "
             'pip install -e ".[docs,datasets]"')
PY
rm -rf _build auto_examples generated sg_execution_times.rst
target=html
if [ "${1:-}" = "--no-gallery" ]; then target=html-noplot; fi
start=$(date +%s)
make "$target" SPHINXOPTS="-W -n --keep-going"
echo "docs/ci_build.sh: $target built without warnings in $(( $(date +%s) - start )) s"
