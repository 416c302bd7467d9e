"""Write a model folder to share, or a full checkpoint (every weight), from a config and a checkpoint.

    python tools/export_checkpoint.py CONFIG CHECKPOINT --folder OUT [--metrics WORK_DIR/test_3x1.json]
    python tools/export_checkpoint.py CONFIG CHECKPOINT OUT [--cfg-options KEY=VALUE ...]

``--folder``: config.py, tunable.safetensors (the tuned weights, no pickle), classes.txt, metrics.json and a
model card (README.md, with the Hugging Face Hub's YAML header); ``loki_video.apis.init_recognizer(OUT)``
and the tools (``tools/demo.py OUT VIDEO``...) load it, and ``huggingface_hub.upload_folder`` shares it
(docs/sharing.md). ``--metrics``: the test report tools/test.py wrote, whose accuracy the card gives.

OUT (a file): training saves tunable-only checkpoints, which need the model built from its pretrained
file (tools/test.py and loki_video.apis do that). OUT holds every tensor, for what does not: mmaction2's
``init_recognizer``/``inference_recognizer``, ``load_from`` elsewhere, plain ``torch.load``. OUT ending in
``.safetensors`` writes a safetensors file (tensors only, the config and source checkpoint in its
metadata); any other name a torch checkpoint ``{'state_dict', 'meta'}``. The checkpoint is loaded exactly
(as tools/test.py loads it) first.
"""
import argparse

from loki_video.apis.export import export_checkpoint
from loki_video.apis.model_folder import write_model_folder
from loki_video.checkpoints import CheckpointMismatchError
from loki_video.config import add_cfg_options
from loki_video.output_paths import writable_file, writable_folder
from loki_video.tool_main import run_main


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='the config the checkpoint was trained with')
    parser.add_argument('checkpoint', help='tunable-only, full or AIM checkpoint')
    parser.add_argument('out', nargs='?', help='output file: *.safetensors or a torch checkpoint (e.g. *.pth)')
    parser.add_argument('--folder', metavar='OUT', help='write a model folder instead of one file')
    parser.add_argument('--metrics', metavar='REPORT', help="with --folder: tools/test.py's test report (JSON)")
    add_cfg_options(parser, example='model.backbone.pretrained=/path/to/clip.pt')
    args = parser.parse_args()
    if (args.out is None) == (args.folder is None):
        parser.error('give either OUT (one file) or --folder OUT (a model folder)')
    writable_file(args.out, 'the output file')
    writable_folder(args.folder, '--folder')
    try:
        if args.folder:
            files = write_model_folder(args.config, args.checkpoint, args.folder, args.metrics, args.cfg_options)
            print(f'{args.folder}: ' + ', '.join(f'{name} ({size / 1e6:.2f} MB)' for name, size in files.items()))
            return
        count = export_checkpoint(args.config, args.checkpoint, args.out, args.cfg_options)
    except CheckpointMismatchError as error:   # a missing file names itself (run_main prints it)
        raise SystemExit(f'{args.checkpoint}: {error}')
    print(f'{args.out}: {count} tensors (every weight of the model)')


if __name__ == '__main__':
    run_main(main)
