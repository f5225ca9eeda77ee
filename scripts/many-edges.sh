#!/usr/bin/env bash
# Scale-out on one machine: 1 origin and 4 edges on loopback (distinct ports), READERS readers spread evenly over
# the edges with `grpcstream bench`, in three phases:
#   1. measure: each edge's CPU (% of a core) and peak RSS, the origin's CPU and the bytes it sent the edges (its
#      gRPC connections' bytes_acked, from ss), and each bench's frames/s and losses;
#   2. kill: edge 4 is killed (SIGKILL) halfway; its readers fail, which is expected, and the other edges' readers
#      must lose nothing;
#   3. roll: edge 1 is drained (its own drain subcommand, deadline DRAIN seconds) halfway, as a rolling update does;
#      its readers end when their sessions do, at the deadline at most, with no frame cut off (frames lost: 0), and
#      the other edges' readers lose nothing. Edge 1 then starts again and takes readers.
# Not part of CI (it takes a minute and wants the machine to itself); docs/scaling.md has a run's figures.
# usage: scripts/many-edges.sh [READERS] [SECONDS]     (defaults: 400 readers, 20 s a phase)
#   TRANSPORT=tcp (default) or udp; DRAIN (seconds, default a quarter of a phase); SOURCE=hd (default: 640x480 30 fps made with ffmpeg) or sample
#   PORT_BASE=19000 (default) moves every port the script opens
set -euo pipefail
cd "$(dirname "$0")/.."

readers=${1:-400}
seconds=${2:-20}
transport=${TRANSPORT:-tcp}
drain=${DRAIN:-$(( seconds / 4 > 1 ? seconds / 4 : 2 ))}
base=${PORT_BASE:-19000}
edges=4
per_edge=$((readers / edges))
origin_grpc=$((base + 51)) origin_http=$((base + 81))
rtsp_port() { echo $((base + 100 + $1)); }
http_port() { echo $((base + 200 + $1)); }
control_port() { echo $((base + 300 + $1)); }
rtp_port() { echo $((base + 400 + 2 * $1)); }

dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
ulimit -n "$(ulimit -Hn)"
cli=src/GrpcStream.Cli/bin/Release/net10.0/grpcstream.dll
edge_dll=src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

mkdir -p "$work/media"
stream=movie.Mjpeg
if [ "${SOURCE:-hd}" = hd ]; then
  mkdir -p "$work/media/hd"
  ffmpeg -v error -f lavfi -i testsrc2=size=640x480:rate=30 -frames:v 300 -pix_fmt yuvj420p -q:v 4 -huffman default "$work/media/hd/%05d.jpg"
  stream=hd
fi

dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll --media-root "$work/media" --frame-rate 30 \
  --urls "http://127.0.0.1:$origin_grpc" --http-port "$origin_http" --Logging:LogLevel:Default=Warning >"$work/origin.log" 2>&1 &
origin_pid=$!
pids+=("$origin_pid")
wait_http "http://127.0.0.1:$origin_http/healthz/ready"

declare -A edge_pid
start_edge() { # n
  dotnet "$edge_dll" --rtsp-port "$(rtsp_port "$1")" --rtp-port "$(rtp_port "$1")" --http-port "$(http_port "$1")" \
    --Edge:Control:Port="$(control_port "$1")" --origin "http://127.0.0.1:$origin_grpc" --Logging:LogLevel:Default=Warning \
    --Edge:Rtsp:MaxConnections=5000 --Edge:Rtsp:MaxConnectionsPerAddress=0 --Edge:Rtsp:MaxSessions=5000 >"$work/edge$1.log" 2>&1 &
  edge_pid[$1]=$!
  pids+=("$!")
  wait_http "http://127.0.0.1:$(http_port "$1")/healthz/ready"
}
for n in $(seq 1 $edges); do start_edge "$n"; done

rss_peak() { grep VmHWM "/proc/$1/status" | awk '{print $2 / 1024}'; }
origin_bytes() { # bytes the origin's gRPC connections have had acknowledged so far
  { ss -tinH state established "( sport = :$origin_grpc )" | grep -o 'bytes_acked:[0-9]*' || true; } | cut -d: -f2 | awk '{s += $1} END {print s + 0}'
}
bench() { # phase edge
  dotnet "$cli" bench "rtsp://127.0.0.1:$(rtsp_port "$2")/$stream" --transport "$transport" --sessions "$per_edge" \
    --duration "$seconds" --server-pid "${edge_pid[$2]}" >"$work/$1-bench$2.out" 2>&1 || true
}
line() { grep -h "$2" "$1" | head -1; }
summary() { # phase edge
  local out="$work/$1-bench$2.out"
  printf '  edge %s: %s | %s\n' "$2" "$(line "$out" '^window:' | sed 's/^window: //')" "$(line "$out" '^total:' | sed 's/^total: //')"
}

echo "many-edges: 1 origin, $edges edges, $readers $transport readers ($per_edge per edge) of $stream, $seconds s a phase"

echo "phase 1: measure"
declare -A cpu_before
origin_cpu_before=$(cpu_ticks "$origin_pid") origin_bytes_before=$(origin_bytes)
for n in $(seq 1 $edges); do cpu_before[$n]=$(cpu_ticks "${edge_pid[$n]}"); done
started=$(date +%s.%N)
for n in $(seq 1 $edges); do bench measure "$n" & done
wait_benches() { for job in $(jobs -p); do case " ${pids[*]} " in *" $job "*) ;; *) wait "$job" || true ;; esac; done; }
wait_benches
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
tick=$(getconf CLK_TCK)
for n in $(seq 1 $edges); do
  summary measure "$n"
  printf '    edge %s CPU %.0f%% of a core over the run, peak RSS %.0f MiB; in the window: %s; %s\n' "$n" \
    "$(echo "($(cpu_ticks "${edge_pid[$n]}") - ${cpu_before[$n]}) / $tick / $elapsed * 100" | bc -l)" "$(rss_peak "${edge_pid[$n]}")" \
    "$(line "$work/measure-bench$n.out" '^server cpu:')" "$(line "$work/measure-bench$n.out" '^bench cpu:')"
done
printf '  origin: CPU %.1f%% of a core, %.2f MB/s to the edges (%s edge subscriptions), peak RSS %.0f MiB\n' \
  "$(echo "($(cpu_ticks "$origin_pid") - $origin_cpu_before) / $tick / $elapsed * 100" | bc -l)" \
  "$(echo "($(origin_bytes) - $origin_bytes_before) / $elapsed / 1000000" | bc -l)" "$edges" "$(rss_peak "$origin_pid")"

echo "phase 2: kill edge $edges halfway"
for n in $(seq 1 $edges); do bench kill "$n" & done
sleep "$(echo "$seconds / 2 + 2" | bc)"
kill -9 "${edge_pid[$edges]}"
wait "${edge_pid[$edges]}" 2>/dev/null || true
wait_benches
for n in $(seq 1 $edges); do summary kill "$n"; done
echo "  (edge $edges's readers lose their sessions; the others must show 0 packets lost, 0 frames lost)"

echo "phase 3: drain edge 1 a quarter into the window (deadline $drain s), then start it again"
start_edge "$edges"
for n in $(seq 1 $edges); do bench roll "$n" & done
sleep "$(echo "$seconds / 4 + 2" | bc)"
drain_started=$(date +%s.%N)
dotnet "$edge_dll" drain --wait --deadline "${drain}s" --Edge:Control:Port="$(control_port 1)" >"$work/drain.out" 2>&1 || true
printf '  drain: %s (%.1f s)\n' "$(tr '\n' ' ' <"$work/drain.out")" "$(echo "$(date +%s.%N) - $drain_started" | bc)"
kill "${edge_pid[1]}"
wait "${edge_pid[1]}" 2>/dev/null || true
wait_benches
for n in $(seq 1 $edges); do summary roll "$n"; done
echo "  (edge 1's readers end at the drain's deadline with 0 frames lost; the others must lose nothing)"
start_edge 1
after=$(dotnet "$cli" bench "rtsp://127.0.0.1:$(rtsp_port 1)/$stream" --transport "$transport" --sessions 10 --duration 2 2>&1 | grep '^window:' || true)
echo "  edge 1 again: $after"
