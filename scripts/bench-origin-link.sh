#!/usr/bin/env bash
# Origin link benchmark: the origin on loopback at its highest frame rate (240 fps), one 640x480 source and one
# 1920x1080 source made with ffmpeg, read by 1 and by 10 gRPC subscribers (separate connections, as separate edges
# would be). Prints a Markdown table: frames and bytes per second per subscriber, frames the origin dropped for a
# slow reader, and the origin's CPU.
# usage: scripts/bench-origin-link.sh [SECONDS] [SUBSCRIBERS ...]    (defaults: 10 s; 1 10)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
counts=("${@:-1 10}")
read -r -a counts <<<"${counts[*]}"

dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
work=$(mktemp -d)
origin=""
trap 'kill $origin 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/media/vga" "$work/media/fullhd"
ffmpeg -v error -f lavfi -i testsrc2=size=640x480:rate=30 -frames:v 120 -pix_fmt yuvj420p -q:v 4 -huffman default "$work/media/vga/%05d.jpg"
ffmpeg -v error -f lavfi -i testsrc2=size=1920x1080:rate=30 -frames:v 120 -pix_fmt yuvj420p -q:v 2 -huffman default "$work/media/fullhd/%05d.jpg"

dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll --media-root "$work/media" --frame-rate 240 \
  --urls http://127.0.0.1:52051 --http-port 18281 --Logging:LogLevel:Default=Warning >/dev/null &
origin=$!
# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh
wait_http http://127.0.0.1:18281/healthz

ticks=$(getconf CLK_TCK)
tool=bench/GrpcStream.Benchmarks/bin/Release/net10.0/GrpcStream.Benchmarks.dll

echo "origin at 240 fps; $seconds s per run; $(nproc) cores; $(uname -r)"
echo
echo "| source | mean frame (KB) | subscribers | frames/s per subscriber | MB/s per subscriber | MB/s in all | frames missing | origin CPU (% of a core) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for stream in vga fullhd; do
  frame_kb=$(du -sk "$work/media/$stream" | awk -v n=120 '{printf "%.0f", $1 / n}')
  for n in "${counts[@]}"; do
    out=$work/link.out before="" after=""
    dotnet "$tool" origin-link http://127.0.0.1:52051 "$stream" "$n" "$seconds" >"$out" 2>&1 &
    bench=$!
    window_opened() { before=$(cpu_ticks "$origin"); start=$(date +%s.%N); }
    window_closed() { after=$(cpu_ticks "$origin"); end=$(date +%s.%N); }
    watch_window "$bench" "$out" '^measuring' '^subscribers'
    line=$(grep '^subscribers' "$out" || true)
    if [ -z "$line" ] || [ -z "$after" ]; then echo "| $stream | $frame_kb | $n | failed: $(tail -1 "$out") |||||"; continue; fi
    fps=$(sed -E 's/.*: ([0-9.]+) frames\/s.*/\1/' <<<"$line")
    each=$(sed -E 's/.*and ([0-9.]+) MB\/s each.*/\1/' <<<"$line")
    all=$(sed -E 's/.*, ([0-9.]+) MB\/s in all.*/\1/' <<<"$line")
    missing=$(sed -E 's/.*, ([0-9]+) frames missing.*/\1/' <<<"$line")
    core=$(awk -v c=$((after - before)) -v t="$ticks" -v s0="$start" -v s1="$end" 'BEGIN { printf "%.0f", c / t / (s1 - s0) * 100 }')
    echo "| $stream | $frame_kb | $n | $fps | $each | $all | $missing | $core |"
  done
done
