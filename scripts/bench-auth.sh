#!/usr/bin/env bash
# The cost of the edge's login limits on the honest path (issue 28), before and after, on the same machine in the
# same run: the edge at commit BEFORE and the edge in this tree, each with users (a plain password and an argon2
# one) in front of the built-in sample, measured in turn ROUNDS times by bench/auth/honest_path.py, which times one
# honest client after another on fresh connections:
#   http-plain   a snapshot (GET /streams/NAME.jpg) with Basic, plain password;
#   http-argon2  the same for the argon2 user (before: every request hashes; after: the first, then remembered);
#   mjpeg        an MJPEG viewer's first frame (GET /streams/NAME.mjpeg), Basic, plain password;
#   rtsp-play    DESCRIBE (401), DESCRIBE, SETUP, PLAY with Digest over TCP, to the first RTP packet.
# Prints p50 and p95 (ms) per measure and version, averaged over the rounds, and the client's own CPU. Then each
# version under attack: 48 parallel guessers of the argon2 user's password from 127.0.0.1 for ATTACK_SECONDS (20),
# an honest snapshot of each user from 127.0.0.2 meanwhile, and the edge's peak memory.
# usage: scripts/bench-auth.sh [COUNT] [ROUNDS]     (defaults: 40 requests per measure and round, 3 rounds)
#   BEFORE=<commit> (default 75ef250, main before issue 28); PORT_BASE=19000 moves the ports
set -euo pipefail
cd "$(dirname "$0")/.."

count=${1:-40}
rounds=${2:-3}
before=${BEFORE:-75ef250}
base=${PORT_BASE:-19000}
rtsp=$((base + 554)) http=$((base + 80)) rtp=$base grpc=$((base + 1051)) origin_http=$((base + 81))
work=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  git worktree remove --force "$work/before" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck source=scripts/bench-common.sh
source scripts/bench-common.sh

dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
git worktree add --detach "$work/before" "$before" >/dev/null 2>&1
(cd "$work/before" && dotnet build src/GrpcStream.Edge -c Release -v quiet -nologo >/dev/null)
hash=$(GRPCSTREAM_PASSWORD="correct horse" dotnet src/GrpcStream.Cli/bin/Release/net10.0/grpcstream.dll hash-password)

dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll --urls "http://127.0.0.1:$grpc" --http-port "$origin_http" \
  --Logging:LogLevel:Default=Warning >"$work/origin.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$origin_http/healthz/ready"

start_edge() { # version dir; sets edge
  dotnet "$2/src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll" --rtsp-port "$rtsp" --rtp-port "$rtp" --http-port "$http" \
    --Edge:Control:Port=0 --origin "http://127.0.0.1:$grpc" --Logging:LogLevel:Default=Warning \
    --Edge:Auth:Methods:0=digest --Edge:Auth:Methods:1=basic \
    --Edge:Auth:Users:0:Name=alice --Edge:Auth:Users:0:Password=wonderland \
    --Edge:Auth:Users:1:Name=viewer "--Edge:Auth:Users:1:Password=$hash" >"$work/edge-$1.log" 2>&1 &
  edge=$!
  wait_http "http://127.0.0.1:$http/healthz"
}

run() { # version dir
  start_edge "$1" "$2"
  /usr/bin/python3 bench/auth/honest_path.py 127.0.0.1 "$http" "$rtsp" movie.Mjpeg "$count" alice:wonderland "viewer:correct horse" |
    sed "s/^/$1 /" >>"$work/results"
  kill "$edge"
  wait "$edge" 2>/dev/null || true
}

for _ in $(seq 1 "$rounds"); do
  run before "$work/before"
  run after "$PWD"
done

echo "| measure | before p50 / p95 (ms) | after p50 / p95 (ms) | client CPU, s (before / after) |"
echo "| --- | --- | --- | --- |"
awk '{ k=$2; v=$1; p50[v,k]+=$3; p95[v,k]+=$4; cpu[v,k]+=$5; n[v,k]++; if (!(k in seen)) { seen[k]=1; order[++m]=k } }
  END { for (i=1; i<=m; i++) { k=order[i];
    printf "| %s | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |\n", k, p50["before",k]/n["before",k], p95["before",k]/n["before",k],
      p50["after",k]/n["after",k], p95["after",k]/n["after",k], cpu["before",k], cpu["after",k] } }' "$work/results"

for version in before after; do
  dir=$PWD
  [ "$version" = before ] && dir=$work/before
  start_edge "$version" "$dir"
  echo
  echo "$version, under attack:"
  /usr/bin/python3 bench/auth/honest_path.py attack 127.0.0.1 "$http" movie.Mjpeg "${ATTACK_SECONDS:-20}" "viewer:correct horse" alice:wonderland "$edge"
  kill "$edge"
  wait "$edge" 2>/dev/null || true
done
