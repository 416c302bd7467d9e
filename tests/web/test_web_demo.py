"""tools/web_demo.py: what the page shows of a video, and the page itself in a real browser (headless Chromium)."""
import os
import os.path as osp
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from loki_video.apis import init_recognizer, predict
from loki_video.datasets.synthetic_actions import write_video
from loki_video.user_error import UserValueError
from loki_video.web.video_analysis import analyse_video, check_video

REPO = Path(__file__).resolve().parents[2]
CHROMEDRIVER = '/usr/bin/chromedriver'


def test_the_analysis_gives_classes_a_labelled_video_attention_and_a_timeline(tiny_model_folder, real_video, tmp_path):
    model = init_recognizer(tiny_model_folder)
    steps, results = [], tmp_path / 'results'
    results.mkdir()
    result = analyse_video(model, real_video, str(results), topk=3, window=1.0,
                           progress=lambda fraction, what: steps.append(fraction))
    assert result['predictions'] == predict(model, real_video, 3, labels=model.class_names)
    assert osp.getsize(result['labelled_video']) > 0 and result['attention'].dtype == np.uint8
    assert result['timeline'] is not None and osp.isfile(result['timeline'])   # 4 s: longer than one window
    assert steps == sorted(steps) and steps[-1] == 1.0
    assert set(os.listdir(results)) == {osp.basename(result['labelled_video']), osp.basename(result['timeline'])}
    assert analyse_video(model, real_video, str(results), window=10.0)['timeline'] is None


def test_bad_files_get_one_line_each(tmp_path, real_video):
    (tmp_path / 'empty.mp4').write_bytes(b'')
    (tmp_path / 'text.mp4').write_text('not a video')
    write_video(str(tmp_path / 'one.mp4'), np.zeros((1, 32, 32, 3), np.uint8), 8.0)
    for name, message in (('empty.mp4', 'empty.mp4 is empty'), ('text.mp4', 'not a video that can be decoded'),
                          ('one.mp4', 'has 1 frame: a video of at least 2 is needed')):
        with pytest.raises(UserValueError, match=message):
            check_video(str(tmp_path / name), max_bytes=2**30)
    with pytest.raises(UserValueError, match=r'over the limit of 0 MB'):
        check_video(real_video, max_bytes=1000)


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture
def browser():
    if not (osp.isfile(CHROMEDRIVER) and shutil.which('chromium')):
        pytest.skip('no chromium and chromium-driver (Debian; tools/install_system_packages.sh installs them)')
    os.environ.setdefault('SE_AVOID_STATS', 'true')   # no telemetry call from Selenium Manager
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1400,1800'):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.mark.slow   # a server and a browser in subprocesses (make test-fast leaves it out)
def test_the_page_in_a_browser_classifies_refuses_a_fake_video_and_goes_on(tiny_model_folder, browser, tmp_path):
    """Upload a clip of the custom dataset, read the top-1 class; a text file named .mp4 gets its message; the
    next good clip is classified; the server's folder of uploads is gone when it stops."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from loki_video.datasets.sample_clips import write_sample_clips
    write_sample_clips(str(tmp_path / 'custom'), {'train': 1, 'val': 1})
    clip = str(next((tmp_path / 'custom' / 'videos' / 'val' / 'bikes').iterdir()))
    fake = tmp_path / 'fake.mp4'
    fake.write_text('not a video')
    model = init_recognizer(tiny_model_folder)
    expected = predict(model, clip, 1, labels=model.class_names)[0]['name']
    port = free_port()
    server = subprocess.Popen([sys.executable, str(REPO / 'tools/web_demo.py'), tiny_model_folder, '--port', str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = []
        while not any('Running on' in line for line in lines):
            line = server.stdout.readline()
            assert line or server.poll() is None, ''.join(lines)
            lines.append(line)
        folder = re.search(r'kept in (\S+) while', ''.join(lines)).group(1)
        browser.get(f'http://127.0.0.1:{port}/')
        wait = WebDriverWait(browser, 120)

        def upload(path):
            clear = browser.find_elements(By.CSS_SELECTOR, '#video-input button[aria-label=Clear]')
            if clear:   # a script click: an error toast may cover the button
                browser.execute_script('arguments[0].click()', clear[0])
            wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, '#video-input input[type=file]'))
            browser.find_element(By.CSS_SELECTOR, '#video-input input[type=file]').send_keys(path)

        def top1(name):
            """The class the page names first for the upload ``name``: in the summary line, then under the
            title of the bars (once their progress overlay is gone)."""
            wait.until(lambda page: f'{name}: top-1:' in page.find_element(By.ID, 'summary-0').text)
            summary = browser.find_element(By.ID, 'summary-0').text
            wait.until(lambda page: page.find_element(By.ID, 'classes-0').text.splitlines()[1:2] ==
                       [summary.split('top-1: ')[1].split(' (')[0]])
            return browser.find_element(By.ID, 'classes-0').text.splitlines()[1]

        upload(clip)
        assert top1(osp.basename(clip)) == expected
        upload(str(fake))
        wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, '[data-testid=toast-body]'))
        assert 'fake.mp4 is not a video that can be decoded' in \
            browser.find_element(By.CSS_SELECTOR, '[data-testid=toast-body]').text
        again = tmp_path / 'again.mp4'   # another name, so that the page's answer is told from the first one
        shutil.copy(clip, again)
        upload(str(again))
        assert top1('again.mp4') == expected
        browser.save_screenshot(str(tmp_path / 'page.png'))
        assert osp.isdir(folder) and not any(fake.name in names for _, _, names in os.walk(tmp_path / 'custom'))
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=30)
    assert not osp.exists(folder)   # nothing the page received is kept
