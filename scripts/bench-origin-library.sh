#!/usr/bin/env bash
# Origin memory and start-up time against the size of its media library. For each size, generates a library of
# 1 GiB MJPEG files (640x480 at about 30 KB a frame, distinct files on disk), starts the origin on it and reports:
# time until it answers /healthz/ready with every file listed, anonymous memory (RssAnon: mapped and cached file
# pages do not count) then, the time until every file is indexed, RssAnon while an edge plays 10 of the streams,
# and peak RSS. The library is deleted after each size.
# usage: scripts/bench-origin-library.sh [GiB ...]    (defaults: 1 5 20; needs that much free disk under $WORK_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a sizes <<<"${*:-1 5 20}"
dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
cli=src/GrpcStream.Cli/bin/Release/net10.0/grpcstream.dll
work=$(mktemp -d "${WORK_DIR:-/var/tmp}/grpcstream-library-XXXXXX")
pids=()
stop_all() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=(); }
trap 'stop_all; rm -rf "$work"' EXIT
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

status_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# One GiB of MJPEG: a 10-second clip doubled until it reaches the size.
ffmpeg -v error -f lavfi -i testsrc2=size=640x480:rate=30 -frames:v 300 -c:v mjpeg -huffman default -pix_fmt yuvj420p \
  -q:v 3 -f mjpeg "$work/clip.mjpeg"
cp "$work/clip.mjpeg" "$work/gib.mjpeg"
while [ "$(stat -c %s "$work/gib.mjpeg")" -lt $((1 << 30)) ]; do
  cat "$work/gib.mjpeg" "$work/gib.mjpeg" >"$work/next.mjpeg"; mv "$work/next.mjpeg" "$work/gib.mjpeg"
done
truncate -s $((1 << 30)) "$work/gib.mjpeg" # the last frame cut short: counted as skipped, as in real files
frame_bytes=$(( $(stat -c %s "$work/clip.mjpeg") / 300 ))

echo "frames: 640x480, about $((frame_bytes / 1024)) KiB each; files of 1 GiB; $(nproc) cores; $(uname -r)"
echo
echo "| library | files | listed and ready (s) | RssAnon when ready (MiB) | all indexed after (s) | RssAnon indexed (MiB) | RssAnon, 10 streams played (MiB) | peak VmRSS (MiB) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for gib in "${sizes[@]}"; do
  lib=$work/lib-$gib
  mkdir -p "$lib"
  for i in $(seq 1 "$gib"); do cp "$work/gib.mjpeg" "$lib/film$(printf %02d "$i").mjpeg"; done
  sync
  start=$(date +%s.%N)
  dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll --media-root "$lib" --frame-rate 30 \
    --urls http://127.0.0.1:51071 --http-port 18171 --Origin:CacheDirectory="$work/cache" --Logging:LogLevel:Default=Warning &
  origin=$!
  pids+=("$origin")
  until curl -sf http://127.0.0.1:18171/healthz/ready >/dev/null; do sleep 0.02; done
  ready=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }')
  listed=$(dotnet "$cli" streams list --origin http://127.0.0.1:51071 | grep -c '^film' || true)
  [ "$listed" -eq "$gib" ] || { echo "only $listed of $gib files listed at ready" >&2; exit 1; }
  anon_ready=$(status_kib "$origin" RssAnon)
  until ! dotnet "$cli" streams list --origin http://127.0.0.1:51071 | grep -q indexing; do sleep 0.5; done
  indexed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  anon_indexed=$(status_kib "$origin" RssAnon)

  # An edge plays ten of the streams (or all, when fewer), one reader each, for 20 s.
  dotnet src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll --origin http://127.0.0.1:51071 --rtsp-port 18574 \
    --rtp-port 0 --http-port 18172 --Edge:Control:Port=0 --Logging:LogLevel:Default=Warning >/dev/null 2>&1 &
  pids+=($!)
  wait_http http://127.0.0.1:18172/healthz
  readers=()
  for i in $(seq 1 "$(( gib < 10 ? gib : 10 ))"); do
    dotnet "$cli" bench "rtsp://127.0.0.1:18574/film$(printf %02d "$i").mjpeg" --sessions 1 --duration 20 -t tcp >/dev/null 2>&1 &
    readers+=($!)
  done
  peak_anon=0
  while kill -0 "${readers[0]}" 2>/dev/null; do
    a=$(status_kib "$origin" RssAnon); [ "$a" -gt "$peak_anon" ] && peak_anon=$a
    sleep 0.5
  done
  wait "${readers[@]}" 2>/dev/null || true
  hwm=$(status_kib "$origin" VmHWM)
  echo "| $gib GiB | $gib | $ready | $((anon_ready / 1024)) | $indexed | $((anon_indexed / 1024)) | $((peak_anon / 1024)) | $((hwm / 1024)) |"
  stop_all
  rm -rf "$lib" "$work/cache"
done
