#!/usr/bin/env bash
# The IRN stage of each seed, on the CAMs benchmarks/sweep_cam_scales.sh wrote
# for one scale set: pseudo-mask mIoU on `train` (docs/benchmark.md).
#   bash benchmarks/irn_on_swept_cams.sh WORK SCALES [PIPELINE...]
#   e.g. bash benchmarks/irn_on_swept_cams.sh work_dirs/demo 1.0_0.5_1.5
# Each seed's IRN config (WORK/P/seedK/irn/config.py) with its CAM and seed
# folders pointed at WORK/scales/P/seedK/SCALES; runs in
# WORK/irn_scales/SCALES/P/seedK. Resumable: a finished seed is skipped.
set -euo pipefail
work=${1:?usage: irn_on_swept_cams.sh WORK SCALES [PIPELINE...]}
scales=${2:?usage: irn_on_swept_cams.sh WORK SCALES [PIPELINE...]}
shift 2
pipelines=${*:-baseline_toy}
py=${PY:-.venv/bin/python}
for p in $pipelines; do
  for s in "$work/$p"/seed*; do
    k=$(basename "$s")
    out="$work/irn_scales/$scales/$p/$k"
    [ -f "$out/irn/pseudo_masks_metrics.json" ] && continue
    mkdir -p "$out"
    src="$s/irn/config.py"
    cams=$(grep -m1 "^cam_dir" "$src" | sed "s/cam_dir = '\(.*\)'/\1/")
    base=${cams%/cams}
    sed "s#$base/cams#$(realpath "$work")/scales/$p/$k/$scales/cams#g; s#$base/seeds#$(realpath "$out")/seeds#g" \
      "$src" >"$out/config.py"
    "$py" tools/train.py "$out/config.py" --work-dir "$out/irn" >"$out/irn.log" 2>&1 || {
      echo "failed: $out (see $out/irn.log)"; exit 1; }
    echo "$p $k $scales $(tr -d '\n ' <"$out/irn/pseudo_masks_metrics.json")"
  done
done
