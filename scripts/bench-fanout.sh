#!/usr/bin/env bash
# Fan-out benchmark: origin + edge on loopback serving a 640x480 30 fps MJPEG source made with ffmpeg, loaded by
# `grpcstream bench` with N sessions over UDP and TCP. Prints a Markdown table: delivered packets/s, packets and
# frames lost, first-frame latency, the edge's CPU seconds per million delivered packets, and the edge's peak RSS.
# usage: scripts/bench-fanout.sh [SECONDS] [N ...]    (defaults: 10 s; 10 50 100 200)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
counts=("${@:-10 50 100 200}")
read -r -a counts <<<"${counts[*]}"

dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
media=$(mktemp -d)
ffmpeg -v error -f lavfi -i testsrc2=size=640x480:rate=30 -frames:v 300 -pix_fmt yuvj420p -q:v 4 -huffman default -f mjpeg "$media/hd.mjpeg"

dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll --media-root "$media" --frame-rate 30 \
  --urls http://127.0.0.1:51051 --http-port 18181 --Logging:LogLevel:Default=Warning &
origin=$!
dotnet src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll --rtsp-port 18554 --rtp-port 18000 --http-port 18180 \
  --origin http://127.0.0.1:51051 --Logging:LogLevel:Default=Warning --Edge:Rtsp:MaxConnections=5000 &
edge=$!
trap 'kill $edge $origin 2>/dev/null; wait 2>/dev/null; rm -rf "$media"' EXIT
for _ in $(seq 1 60); do curl -sf http://127.0.0.1:18180/healthz >/dev/null && break; sleep 0.5; done

ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$edge/stat"; }
bench=src/GrpcStream.Cli/bin/Release/net10.0/grpcstream.dll

echo "| transport | sessions | packets/s delivered | packets lost | frames lost | first frame p50 / p99 (ms) | edge CPU s per 1M packets |"
echo "| --- | ---: | ---: | ---: | ---: | --- | ---: |"
for transport in udp tcp; do
  for n in "${counts[@]}"; do
    before=$(cpu)
    out=$(dotnet "$bench" bench rtsp://127.0.0.1:18554/hd.mjpeg --sessions "$n" --duration "$seconds" -t "$transport")
    after=$(cpu)
    total=$(grep '^total:' <<<"$out")
    packets=$(sed -E 's/.* ([0-9]+) packets \(.*/\1/' <<<"$total")
    rate=$(sed -E 's/.*\(([0-9]+) packets\/s\).*/\1/' <<<"$total")
    lost=$(sed -E 's/.*, ([0-9]+) packets lost.*/\1/' <<<"$total")
    frames_lost=$(sed -E 's/.*, ([0-9]+) frames lost.*/\1/' <<<"$total")
    latency=$(grep '^first frame' <<<"$out" | sed -E 's/.*median ([0-9.]+), p99 ([0-9.]+),.*/\1 \/ \2/')
    per_million=$(awk -v c=$((after - before)) -v t="$ticks" -v p="$packets" 'BEGIN { printf "%.2f", (p > 0 ? c / t / p * 1000000 : 0) }')
    echo "| $transport | $n | $rate | $lost | $frames_lost | $latency | $per_million |"
  done
done
echo
echo "edge peak RSS: $(grep VmHWM /proc/$edge/status | awk '{print $2/1024 " MiB"}')"
