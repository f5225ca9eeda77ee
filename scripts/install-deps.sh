#!/usr/bin/env bash
# Installs the Debian packages the tests use as real peers and fixtures: players (ffmpeg, GStreamer),
# libjpeg's command-line tools, curl and chromium (HTTP viewers and the stream page), GStreamer's RTSP server (for client interop) and its rtspclientsink (a publisher), tshark, iproute2 (network
# namespaces for the silent-outage test), and for the container
# test Docker's engine, docker-compose and debootstrap.
# Needs root (or sudo). The .NET SDK itself is expected on PATH (see README).
set -euo pipefail

packages=(
  ffmpeg
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-rtsp
  libjpeg-turbo-progs
  iproute2 openssl curl
  chromium
  tshark
  docker.io docker-compose debootstrap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
echo "install-deps: done"
