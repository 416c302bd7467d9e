"""Confusion matrix and most confused class pairs of dumped test predictions.

    python tools/test.py CONFIG CKPT --dump results.pkl
    python tools/analysis/confusion_matrix.py results.pkl [--config CONFIG | --labels FILE] [--out confusion.png]
        [--top 10]

Rows are true classes, columns predicted (top-1) classes; counts are drawn for up to
20 classes and class names for up to 40. Videos flagged unreadable in the dump are
left out (their number is printed). Class names come from --labels, else from the
``label_file`` of --config (the config the predictions were made with), else indices are used.
"""
import argparse

from loki_video.apis import resolve_labels
from loki_video.config import load_config
from loki_video.output_paths import writable_file
from loki_video.tool_main import run_main
from loki_video.visualization.confusion import confusion_matrix, most_confused, plot_confusion_matrix, read_dump


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dump', help='predictions dumped by tools/test.py --dump (.pkl)')
    parser.add_argument('--labels', help="label file (one class name per line); default: --config's label_file")
    parser.add_argument('--config', help='the config of the predictions, whose label_file names the classes')
    parser.add_argument('--out', default='confusion.png', help='output image (default confusion.png)')
    parser.add_argument('--top', type=int, default=10, help='confused pairs to print (default 10)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    writable_file(args.out, '--out')
    scores, targets, excluded = read_dump(args.dump)
    labels = resolve_labels(args.labels, load_config(args.config) if args.config else None)
    if labels is not None and len(labels) != scores.shape[1]:
        raise SystemExit(f'{args.labels or args.config + " (label_file)"} names {len(labels)} classes but the '
                         f'predictions have {scores.shape[1]}')
    names = labels or [str(i) for i in range(scores.shape[1])]
    matrix = confusion_matrix(scores, targets)
    plot_confusion_matrix(matrix, args.out, labels)
    accuracy = matrix.diagonal().sum().item() / max(matrix.sum().item(), 1)
    print(f'{len(targets)} predictions ({excluded} excluded as invalid), top-1 accuracy {accuracy:.4f} '
          f'-> {args.out}')
    print('most confused (true -> predicted: count, share of the true class):')
    for true, predicted, count, share in most_confused(matrix, args.top):
        print(f'  {names[true]} -> {names[predicted]}: {count} ({share:.1%})')


if __name__ == '__main__':
    run_main(main)
