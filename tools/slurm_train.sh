#!/usr/bin/env bash
# Train on a SLURM cluster: one task per GPU, GPUS tasks in all (options: see slurm_run.sh).
#   bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
set -euo pipefail
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" train.py "$3" --work-dir="$4" --launcher=slurm "${@:5}"
