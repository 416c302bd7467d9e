#!/usr/bin/env bash
# Test a checkpoint on a SLURM cluster: one task per GPU, GPUS tasks in all (options: see slurm_run.sh).
#   bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
set -euo pipefail
exec bash "$(dirname "$0")/slurm_run.sh" "$1" "$2" test.py "$3" "$4" --launcher=slurm "${@:5}"
