"""Write a full checkpoint (every weight) from a config and any checkpoint this project loads.

    python tools/export_checkpoint.py CONFIG CHECKPOINT OUT [--cfg-options KEY=VALUE ...]

Training saves tunable-only checkpoints, which need the model built from its pretrained file
(tools/test.py and loki_video.apis do that). OUT holds every tensor, for what does not:
mmaction2's ``init_recognizer``/``inference_recognizer``, ``load_from`` elsewhere, plain
``torch.load``. OUT ending in ``.safetensors`` writes a safetensors file (tensors only, the
config and source checkpoint in its metadata); any other name a torch checkpoint
``{'state_dict', 'meta'}``. The checkpoint is loaded exactly (as tools/test.py loads it) first.
"""
import argparse

from loki_video.apis.export import export_checkpoint
from loki_video.checkpoints import CheckpointMismatchError
from loki_video.config import add_cfg_options
from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='tunable-only, full or AIM checkpoint')
    parser.add_argument('out', help='output file: *.safetensors or a torch checkpoint (e.g. *.pth)')
    add_cfg_options(parser, example='model.backbone.pretrained=/path/to/clip.pt')
    args = parser.parse_args()
    writable_file(args.out, 'the output file')
    try:
        count = export_checkpoint(args.config, args.checkpoint, args.out, args.cfg_options)
    except CheckpointMismatchError as error:   # a missing file names itself (run_main prints it)
        raise SystemExit(f'{args.checkpoint}: {error}')
    print(f'{args.out}: {count} tensors (every weight of the model)')


if __name__ == '__main__':
    run_main(main)
