#!/usr/bin/env bash
# Test a checkpoint with GPUS processes per node through torchrun (NCCL on GPUs, gloo on CPU).
#   bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py options]
# Several nodes: NNODES, NODE_RANK, MASTER_ADDR and PORT, see dist_run.sh.
set -euo pipefail
exec bash "$(dirname "$0")/dist_run.sh" "$3" test.py "$1" "$2" --launcher pytorch "${@:4}"
