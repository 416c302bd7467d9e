#!/usr/bin/env bash
# Installs the Debian packages whose real data the tests read (Fashion-MNIST; imageio's sample
# videos, among them cockatoo.mp4, on which decord's indexed reads return wrong frames).
# Does nothing when it is already there; says why when it cannot install it
# (the tests that need the data then skip with that reason).
set -u
want=()
[ -d /usr/share/datasets/fashion-mnist ] || want+=(dataset-fashion-mnist)
[ -f /usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4 ] || want+=(python3-imageio)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install_system_data: cannot install ${want[*]} (needs root and apt-get); tests that need them are skipped with this reason"
  exit 0
fi
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null) \
  || echo "install_system_data: apt-get install ${want[*]} failed; tests that need them are skipped"
exit 0
