#!/usr/bin/env bash
# Fan-out benchmark: the edge (with its origin) and GStreamer's RTSP server, side by side on loopback, loaded in
# turn by `grpcstream bench` with N sessions over UDP and TCP. Runs alternate between the servers at every step,
# so a noisy machine disturbs both alike. A second edge with UDP segmentation off shows what batching buys.
# Prints a Markdown table: delivered packets/s, packets and frames lost, first-frame latency, server CPU per
# delivered packet, gen-0 collections per minute (the edge), and memory while loaded. Frames a server skips
# because it cannot keep up show as frames/s per session below the source's, not as lost frames.
# usage: scripts/bench-fanout.sh [SECONDS] [N ...]    (defaults: 10 s; 10 50 100 200 500 800)
#   SOURCE=hd (default; 640x480 30 fps made with ffmpeg) or SOURCE=sample (the built-in 320x240 sample)
#   SERVERS="edge edge-nogso gst" (default) chooses who runs; edge-nogso runs UDP only
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
counts=("${@:-10 50 100 200 500 800}")
read -r -a counts <<<"${counts[*]}"
source_name=${SOURCE:-hd}
read -r -a servers <<<"${SERVERS:-edge edge-nogso gst}"

dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
ulimit -n "$(ulimit -Hn)" # GStreamer's server keeps the soft limit it is given; 800 sessions need more than 1024
cli=src/GrpcStream.Cli/bin/Release/net10.0/grpcstream.dll
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

mkdir -p "$work/media/hd"
ffmpeg -v error -f lavfi -i testsrc2=size=640x480:rate=30 -frames:v 300 -pix_fmt yuvj420p -q:v 4 -huffman default "$work/media/hd/%05d.jpg"
dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll --media-root "$work/media" --frame-rate 30 \
  --urls http://127.0.0.1:51051 --http-port 18181 --Logging:LogLevel:Default=Warning &
pids+=($!)
start_edge() { # offset extra-args...
  local offset=$1; shift
  dotnet src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll --rtsp-port $((18554 + offset)) --rtp-port $((18000 + offset * 2)) \
    --http-port $((18180 + offset)) --Edge:Control:Port=0 --origin http://127.0.0.1:51051 --Logging:LogLevel:Default=Warning \
    --Edge:Rtsp:MaxConnections=5000 --Edge:Rtsp:MaxConnectionsPerAddress=0 --Edge:Rtsp:MaxSessions=5000 "$@" &
  pids+=($!)
  wait_http "http://127.0.0.1:$((18180 + offset))/healthz"
}
start_edge 0
edge_pid=${pids[-1]}
start_edge 10 --Edge:Rtsp:UdpSegmentation=false
nogso_pid=${pids[-1]}

# The sample as files, for GStreamer: one loop of it recorded from the edge and split into JPEGs.
stream=hd fps=30
if [ "$source_name" = sample ]; then
  stream=movie.Mjpeg
  fps=$(dotnet "$cli" describe rtsp://127.0.0.1:18554/$stream | sed -nE 's/^ *frame rate: ([0-9]+).*/\1/p')
  mkdir -p "$work/gst"
  dotnet "$cli" play rtsp://127.0.0.1:18554/$stream -t tcp -n $((fps * 10)) -o "$work/sample.mjpeg" >/dev/null
  ffmpeg -v error -f mjpeg -i "$work/sample.mjpeg" -c copy "$work/gst/%05d.jpg"
  gst_dir=$work/gst
else
  gst_dir=$work/media/hd
fi
/usr/bin/python3 bench/gstreamer/rtsp-server.py 18654 /$stream "$gst_dir" "$fps" >/dev/null &
pids+=($!)
gst_pid=$!
sleep 2

ticks=$(getconf CLK_TCK)
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
gen0() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^dotnet_gc_collections_total\{.*gc_heap_generation="gen0"/ {print $NF}'; }

# One run: prints a table row.
run() { # server transport n
  local server=$1 transport=$2 n=$3 pid port http=""
  case $server in
    edge) pid=$edge_pid port=18554 http=18180 ;;
    edge-nogso) pid=$nogso_pid port=18564 http=18190 ;;
    gst) pid=$gst_pid port=18654 ;;
  esac
  local before="" after="" gc_before="" gc_after="" peak=0 sampler
  # Peak resident memory during the run, sampled every 0.2 s.
  (p=0; while kill -0 "$pid" 2>/dev/null; do r=$(rss_kib "$pid"); [ "$r" -gt "$p" ] && p=$r && echo "$p" >"$work/peak"; sleep 0.2; done) &
  sampler=$!
  # CPU and collections are read when the bench says its window opens and again when it reports, so set-up and
  # tear-down of the sessions stay out of the per-packet figure.
  local out=$work/bench.out window_start window_end
  dotnet "$cli" bench "rtsp://127.0.0.1:$port/$stream" --sessions "$n" --duration "$seconds" -t "$transport" >"$out" 2>&1 &
  local bench=$!
  window_opened() { before=$(cpu_ticks "$pid"); window_start=$(date +%s.%N); if [ -n "$http" ]; then gc_before=$(gen0 "$http"); fi; }
  window_closed() { after=$(cpu_ticks "$pid"); window_end=$(date +%s.%N); if [ -n "$http" ]; then gc_after=$(gen0 "$http"); fi; }
  watch_window "$bench" "$out" 'measuring for' '^window:'
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  peak=$(cat "$work/peak" 2>/dev/null || rss_kib "$pid"); rm -f "$work/peak"
  local total window packets rate lost frames_lost latency per_packet gc="n/a"
  total=$(grep '^total:' "$out" || true)
  window=$(grep '^window:' "$out" || true)
  if [ -z "$window" ] || [ -z "$after" ]; then echo "| $server | $transport | $n | failed: $(tail -1 "$out") |||||||"; return; fi
  packets=$(sed -E 's/^window: [0-9]+ frames, ([0-9]+) packets.*/\1/' <<<"$window")
  local fps_each
  fps_each=$(sed -E 's/.*\(([0-9.]+) frames\/s per session.*/\1/' <<<"$window")
  rate=$(sed -E 's/.*, ([0-9]+) packets\/s\).*/\1/' <<<"$window")
  lost=$(sed -E 's/.*, ([0-9]+) packets lost.*/\1/' <<<"$total")
  frames_lost=$(sed -E 's/.*, ([0-9]+) frames lost.*/\1/' <<<"$total")
  latency=$(grep '^first frame' "$out" | sed -E 's/.*median ([0-9.]+), p99 ([0-9.]+),.*/\1 \/ \2/')
  per_packet=$(awk -v c=$((after - before)) -v t="$ticks" -v p="$packets" 'BEGIN { printf "%.2f", (p > 0 ? c / t / p * 1000000 : 0) }')
  if [ -n "$http" ]; then
    gc=$(awk -v a="$gc_after" -v b="$gc_before" -v s0="$window_start" -v s1="$window_end" 'BEGIN { printf "%.0f", (s1 > s0 ? (a - b) * 60 / (s1 - s0) : 0) }')
  fi
  echo "| $server | $transport | $n | $fps_each | $rate | $lost | $frames_lost | $latency | $per_packet | $gc | $((peak / 1024)) |"
}

# Warm-up, not reported: the edges' code reaches its optimized tier, and every server has seen both transports.
for server in "${servers[@]}"; do
  for transport in udp tcp; do run "$server" "$transport" 50 >/dev/null; done
done

echo "source: $stream at $fps fps; $seconds s per run; $(nproc) cores; $(uname -r)"
echo
echo "| server | transport | sessions | frames/s per session (source: $fps) | packets/s delivered | packets lost | frames lost | first frame p50 / p99 (ms) | server CPU µs per packet | gen-0 GCs per min | peak RSS (MiB) |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |"
for transport in udp tcp; do
  for n in "${counts[@]}"; do
    for server in "${servers[@]}"; do
      [ "$server" = edge-nogso ] && [ "$transport" = tcp ] && continue
      run "$server" "$transport" "$n"
    done
  done
done
