#!/usr/bin/env bash
# The edge (with its origin) against GStreamer's RTSP server, on loopback, loaded in turn by `grpcstream bench` with
# N readers over UDP and TCP. The servers alternate at every step, so a noisy machine disturbs both alike. One table
# row per transport and N with both servers' figures side by side:
#   - server CPU per delivered packet (bench --server-pid) and the ratio edge / GStreamer;
#   - frames per second per reader (a server that cannot keep up skips whole frames: fewer frames/s, not loss);
#   - packets lost; first frame after PLAY, median (p50) and p99;
#   - the edge's gen-0 collections per minute in the measuring window (its /metrics);
#   - peak RSS during the run (the edge's anonymous part, RssAnon, too);
#   - the load generator's own CPU per packet and share of a core, to show it is not the bottleneck.
# The generator receives UDP as players do, without generic receive offload (the kernel splits a server's segmented
# runs into datagrams on the server's time); rows "udp+gro" repeat UDP with a receiver that coalesces them.
# usage: scripts/bench-compare.sh [SECONDS] [N ...]    (defaults: 10 s; N = 100 400 800 1000)
#   SOURCE=hd (default: 640x480 30 fps made with ffmpeg) or SOURCE=sample (the built-in 320x240 sample)
#   SERVERS="edge gst" (default) chooses who runs; SERVERS= runs neither (with SYNTHETIC=1: only the ceiling)
#   SYNTHETIC=1 adds a section: the same N against bench/GrpcStream.SyntheticSender (one pre-packetized frame, a
#     server that costs next to nothing), at SYNTHETIC_FPS (default: the source's rate), and prints the generator's
#     ceiling: the most packets/s it received with every reader at full rate and nothing lost
#   PORT_BASE=18000 (default) moves every port the script opens (RTSP, RTP, HTTP, gRPC) together
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
counts=("${@:-100 400 800 1000}")
read -r -a counts <<<"${counts[*]}"
source_name=${SOURCE:-hd}
read -r -a servers <<<"${SERVERS-edge gst}"
synthetic=${SYNTHETIC:-0}
base=${PORT_BASE:-18000}
edge_port=$((base + 554)) edge_http=$((base + 180)) edge_rtp=$base origin_grpc=$((base + 1051)) origin_http=$((base + 181))
gst_port=$((base + 654)) synth_port=$((base + 754))

dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
ulimit -n "$(ulimit -Hn)" # GStreamer's server keeps the soft limit it is given; 800 sessions need more than 1024
cli=src/GrpcStream.Cli/bin/Release/net10.0/grpcstream.dll
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

has() { [[ " ${servers[*]} " == *" $1 "* ]]; }
wait_ready() { for _ in $(seq 1 120); do grep -q '^ready' "$1" 2>/dev/null && return 0; sleep 0.5; done; echo "$2 did not start: $(tail -3 "$1")" >&2; exit 1; }

mkdir -p "$work/media/hd"
ffmpeg -v error -f lavfi -i testsrc2=size=640x480:rate=30 -frames:v 300 -pix_fmt yuvj420p -q:v 4 -huffman default "$work/media/hd/%05d.jpg"
stream=hd fps=30 frames_dir=$work/media/hd
if has edge || [ "$source_name" = sample ]; then
  dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll --media-root "$work/media" --frame-rate 30 \
    --urls "http://127.0.0.1:$origin_grpc" --http-port "$origin_http" --Logging:LogLevel:Default=Warning >"$work/origin.log" 2>&1 &
  pids+=($!)
  dotnet src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll --rtsp-port "$edge_port" --rtp-port "$edge_rtp" \
    --http-port "$edge_http" --Edge:Control:Port=0 --origin "http://127.0.0.1:$origin_grpc" --Logging:LogLevel:Default=Warning \
    --Edge:Rtsp:MaxConnections=5000 --Edge:Rtsp:MaxConnectionsPerAddress=0 --Edge:Rtsp:MaxSessions=5000 >"$work/edge.log" 2>&1 &
  pids+=($!)
  edge_pid=$!
  # The origin too: an edge that asks before it listens backs off (503 for a while), and the first runs would fail.
  wait_http "http://127.0.0.1:$origin_http/healthz/ready"
  wait_http "http://127.0.0.1:$edge_http/healthz"
fi

# The sample as files, for GStreamer and the synthetic sender: one loop of it recorded from the edge, split into JPEGs.
if [ "$source_name" = sample ]; then
  stream=movie.Mjpeg
  fps=$(dotnet "$cli" describe "rtsp://127.0.0.1:$edge_port/$stream" | sed -nE 's/^ *frame rate: ([0-9]+).*/\1/p')
  mkdir -p "$work/gst"
  dotnet "$cli" play "rtsp://127.0.0.1:$edge_port/$stream" -t tcp -n $((fps * 10)) -o "$work/sample.mjpeg" >/dev/null
  ffmpeg -v error -f mjpeg -i "$work/sample.mjpeg" -c copy "$work/gst/%05d.jpg"
  frames_dir=$work/gst
fi

if has gst; then
  /usr/bin/python3 bench/gstreamer/rtsp-server.py "$gst_port" "/$stream" "$frames_dir" "$fps" >"$work/gst.out" 2>&1 &
  pids+=($!)
  gst_pid=$!
  wait_ready "$work/gst.out" "GStreamer's RTSP server"
fi

if [ "$synthetic" = 1 ]; then
  synth_fps=${SYNTHETIC_FPS:-$fps}
  dotnet bench/GrpcStream.SyntheticSender/bin/Release/net10.0/GrpcStream.SyntheticSender.dll --port "$synth_port" \
    --fps "$synth_fps" --frame "$(find "$frames_dir" -name '*.jpg' | sort | head -1)" >"$work/synth.out" 2>&1 &
  pids+=($!)
  synth_pid=$!
  wait_ready "$work/synth.out" "the synthetic sender"
fi

gen0() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^dotnet_gc_collections_total\{.*gc_heap_generation="gen0"/ {print $NF}'; }

# One bench run; its figures go into R["server transport n field"].
declare -A R
run() { # server transport n
  local server=$1 transport=$2 n=$3 pid port http=""
  case $server in
    edge) pid=$edge_pid port=$edge_port http=$edge_http ;;
    gst) pid=$gst_pid port=$gst_port ;;
    synthetic) pid=$synth_pid port=$synth_port ;;
  esac
  local key="$server $transport $n" gc_before="" gc_after="" window_start="" window_end="" sampler
  # Peak RSS and RssAnon during the run (set-up included), sampled every 0.2 s.
  rm -f "$work/peak"
  (p=0 a=0; while kill -0 "$pid" 2>/dev/null; do
     read -r r an < <(awk '/^VmRSS/ {r = $2} /^RssAnon/ {a = $2} END {print r + 0, a + 0}' "/proc/$pid/status")
     [ "$r" -gt "$p" ] && p=$r; [ "$an" -gt "$a" ] && a=$an; echo "$p $a" >"$work/peak"; sleep 0.2
   done) &
  sampler=$!
  # Collections are read when the bench says its window opens and again when it reports, so set-up and tear-down of
  # the sessions stay out of them (as they stay out of the CPU figures bench itself reports).
  local out=$work/bench.out
  local how=(-t "$transport")
  if [ "$transport" = udp+gro ]; then how=(-t udp --gro); fi
  dotnet "$cli" bench "rtsp://127.0.0.1:$port/$stream" --sessions "$n" --duration "$seconds" "${how[@]}" --server-pid "$pid" >"$out" 2>&1 &
  local bench=$!
  window_opened() { window_start=$(date +%s.%N); if [ -n "$http" ]; then gc_before=$(gen0 "$http"); fi; }
  window_closed() { window_end=$(date +%s.%N); if [ -n "$http" ]; then gc_after=$(gen0 "$http"); fi; }
  watch_window "$bench" "$out" 'measuring for' '^window:'
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  local window server_cpu bench_cpu total latency peak anon
  window=$(grep '^window:' "$out" || true)
  server_cpu=$(grep '^server cpu:' "$out" || true)
  bench_cpu=$(grep '^bench cpu:' "$out" || true)
  if [ -z "$window" ] || [ -z "$server_cpu" ]; then
    R[$key ok]=""
    R[$key why]=$(tail -1 "$out" | tr '|' '/')
    return
  fi
  R[$key ok]=1
  total=$(grep '^total:' "$out")
  latency=$(grep '^first frame' "$out")
  { read -r peak anon <"$work/peak"; } 2>/dev/null || { peak=0 anon=0; }
  # window: F frames, P packets in S s (X frames/s per session, R packets/s)
  R[$key fps]=$(sed -E 's/.*\(([0-9.]+) frames\/s per session.*/\1/' <<<"$window")
  R[$key rate]=$(sed -E 's/.*, ([0-9]+) packets\/s\).*/\1/' <<<"$window")
  R[$key lost]=$(sed -E 's/.*, ([0-9]+) packets lost.*/\1/' <<<"$total")
  R[$key first]=$(sed -E 's/.*median ([0-9.]+), p99 ([0-9.]+),.*/\1 \/ \2/' <<<"$latency")
  # server cpu: A s in B s (C% of a core), D µs per packet (the unit is matched loosely: a locale may not know µ)
  R[$key cpu]=$(sed -E 's/.*, ([0-9.]+) [^ ]+ per packet.*/\1/' <<<"$server_cpu")
  R[$key core]=$(sed -E 's/.*\(([0-9]+)% of a core\).*/\1/' <<<"$server_cpu")
  R[$key own]=$(sed -E 's/.*, ([0-9.]+) [^ ]+ per packet.*/\1/' <<<"$bench_cpu")
  R[$key own_core]=$(sed -E 's/.*\(([0-9]+)% of a core\).*/\1/' <<<"$bench_cpu")
  R[$key own_gc]=$(sed -nE 's/^bench gen-0 collections: ([0-9]+) in .*/\1/p' "$out")
  R[$key rss]=$((peak / 1024))
  R[$key anon]=$((anon / 1024))
  R[$key gc]="n/a"
  if [ -n "$http" ] && [ -n "$gc_before" ] && [ -n "$gc_after" ]; then
    R[$key gc]=$(awk -v a="$gc_after" -v b="$gc_before" -v s0="$window_start" -v s1="$window_end" 'BEGIN { printf "%.0f", (s1 > s0 ? (a - b) * 60 / (s1 - s0) : 0) }')
  fi
}

# A server's figure for one step, or a dash when it did not run, or "failed".
fig() { # server transport n field
  local key="$1 $2 $3"
  if ! has "$1" && [ "$1" != synthetic ]; then echo "–"; elif [ -z "${R[$key ok]:-}" ]; then echo "failed"; else echo "${R[$key $4]}"; fi
}
ratio() { # transport n
  local e g
  e=$(fig edge "$1" "$2" cpu) g=$(fig gst "$1" "$2" cpu)
  if [[ $e =~ ^[0-9.]+$ && $g =~ ^[0-9.]+$ ]]; then awk -v e="$e" -v g="$g" 'BEGIN { if (g > 0) printf "%.2f", e / g; else printf "–" }'; else echo "–"; fi
}
generator() { # server transport n
  if [ "$(fig "$@" own)" = "–" ] || [ "$(fig "$@" own)" = failed ]; then fig "$@" own; else echo "$(fig "$@" own) ($(fig "$@" own_core)%)"; fi
}

echo "source: $stream at $fps fps; $seconds s per run; $(nproc) cores; $(uname -r); $(dotnet --version | sed 's/^/.NET SDK /')"
echo "The load generator runs on the same cores as the servers. On loopback the receiving side's kernel work is mostly"
echo "done in the sender's system calls, so a server's CPU includes delivery into the readers' sockets, alike for both."

if [ ${#servers[@]} -gt 0 ]; then
  # Warm-up, not reported: the edge's code reaches its optimized tier, and every server has seen both transports.
  for transport in udp tcp; do for server in "${servers[@]}"; do run "$server" "$transport" 50; done; done

  echo
  echo "Server CPU is user + system time per delivered packet over the measuring window; the generator's likewise."
  echo
  echo "| transport | readers | edge CPU µs/packet | GStreamer CPU µs/packet | edge ÷ GStreamer | frames/s per reader, edge / GStreamer (source: $fps) | packets lost, edge / GStreamer | edge first frame p50 / p99 (ms) | GStreamer first frame p50 / p99 (ms) | edge gen-0 GCs per min | edge peak RSS MiB (RssAnon) | GStreamer peak RSS MiB | generator µs/packet (% of a core), edge run | generator, GStreamer run |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for transport in udp tcp udp+gro; do
    for n in "${counts[@]}"; do
      for server in "${servers[@]}"; do run "$server" "$transport" "$n"; done
      echo "| $transport | $n | $(fig edge "$transport" "$n" cpu) | $(fig gst "$transport" "$n" cpu) | $(ratio "$transport" "$n") |" \
        "$(fig edge "$transport" "$n" fps) / $(fig gst "$transport" "$n" fps) | $(fig edge "$transport" "$n" lost) / $(fig gst "$transport" "$n" lost) |" \
        "$(fig edge "$transport" "$n" first) | $(fig gst "$transport" "$n" first) | $(fig edge "$transport" "$n" gc) |" \
        "$(fig edge "$transport" "$n" rss) ($(fig edge "$transport" "$n" anon)) | $(fig gst "$transport" "$n" rss) |" \
        "$(generator edge "$transport" "$n") | $(generator gst "$transport" "$n") |"
    done
  done
  for server in edge gst; do
    for transport in udp tcp udp+gro; do
      for n in "${counts[@]}"; do
        if has "$server" && [ -z "${R[$server $transport $n ok]:-}" ]; then echo "$server $transport $n failed: ${R[$server $transport $n why]:-}"; fi
      done
    done
  done
fi

if [ "$synthetic" = 1 ]; then
  for transport in udp tcp; do run synthetic "$transport" 50; done
  echo
  echo "The generator's ceiling: the same readers against the synthetic sender ($synth_fps fps, one pre-packetized frame of"
  echo "$(sed -nE 's/^([0-9]+x[0-9]+), ([0-9]+) bytes, ([0-9]+) packets a frame.*/\1, \2 bytes, \3 packets/p' "$work/synth.out"); it stamps and sends, nothing more)."
  echo
  echo "| transport | readers | packets/s received | frames/s per reader (sent: $synth_fps) | packets lost | generator µs/packet | generator % of a core | generator gen-0 GCs in the window | sender µs/packet |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  best="" all_kept_up=1
  for transport in udp tcp; do
    for n in "${counts[@]}"; do
      run synthetic "$transport" "$n"
      key="synthetic $transport $n"
      if [ -z "${R[$key ok]:-}" ]; then echo "| $transport | $n | failed: ${R[$key why]:-} |||||||"; continue; fi
      echo "| $transport | $n | ${R[$key rate]} | ${R[$key fps]} | ${R[$key lost]} | ${R[$key own]} | ${R[$key own_core]} | ${R[$key own_gc]:-?} | ${R[$key cpu]} |"
      # Full rate (within 3%) and nothing lost: the generator kept up.
      if [ "${R[$key lost]}" = 0 ] && awk -v f="${R[$key fps]}" -v s="$synth_fps" 'BEGIN { exit !(f >= 0.97 * s) }'; then
        if [ -z "$best" ] || [ "${R[$key rate]}" -gt "${R[$(cut -d'|' -f1 <<<"$best") rate]}" ]; then best="$key|$transport|$n"; fi
      else
        all_kept_up=""
      fi
    done
  done
  echo
  if [ -n "$best" ]; then
    key=$(cut -d'|' -f1 <<<"$best")
    echo "Most the generator took with every reader at full rate and nothing lost: ${R[$key rate]} packets/s ($(cut -d'|' -f2 <<<"$best"), $(cut -d'|' -f3 <<<"$best") readers), at ${R[$key own_core]}% of a core, ${R[$key own]} µs per packet."
    if [ -n "$all_kept_up" ]; then echo "Every step kept up: the ceiling is higher (more readers, or a higher SYNTHETIC_FPS, find it)."; fi
  else
    echo "No step had every reader at full rate with nothing lost: the generator's ceiling is below these loads."
  fi
fi
