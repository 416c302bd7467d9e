#!/usr/bin/env bash
# Installs the Debian packages the project uses beside its Python packages:
# - FFmpeg's shared libraries (package ffmpeg), which torchcodec loads to decode videos
#   (without them VideoInit falls back to decord, see loki_video/datasets/video_decode.py);
# - the real data the tests read: Fashion-MNIST, and imageio's sample videos, among them
#   cockatoo.mp4, on which indexed reads return wrong frames.
# - a browser and its driver (chromium, chromium-driver), in which the web demo's test runs.
# Does nothing when they are there; says why when it cannot install them (decoding then uses
# decord, and the tests that need the data skip with that reason).
set -u
want=()
ldconfig -p 2>/dev/null | grep -q 'libavcodec\.so' || want+=(ffmpeg)
[ -d /usr/share/datasets/fashion-mnist ] || want+=(dataset-fashion-mnist)
[ -f /usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4 ] || want+=(python3-imageio)
[ -x /usr/bin/chromium ] || want+=(chromium)
[ -x /usr/bin/chromedriver ] || want+=(chromium-driver)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install_system_packages: cannot install ${want[*]} (needs root and apt-get); decoding uses decord" \
       "without FFmpeg's libraries, and tests that need the data are skipped with this reason"
  exit 0
fi
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null) \
  || echo "install_system_packages: apt-get install ${want[*]} failed; decoding uses decord, tests that need the data are skipped"
exit 0
