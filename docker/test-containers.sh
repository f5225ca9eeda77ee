#!/usr/bin/env bash
# Container test: builds both images (on local stand-in base images unless SDK_IMAGE/RUNTIME_IMAGE say otherwise),
# runs them with compose on host networking (all traffic on loopback), waits until healthy, plays the edge with
# ffprobe over TCP and UDP, restarts the origin under a playing ffmpeg and checks the session keeps receiving,
# then runs the secured pair (compose.secure.hostnet.yaml: mutual TLS between them, RTSPS and a user, with
# certificates from scripts/make-certs.sh) and plays it over RTSPS; then removes everything. Ends with a line
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

passed=0 failed=0
check() { # name, command...
  local name=$1; shift
  if "$@"; then echo "container test passed: $name"; passed=$((passed + 1)); else echo "container test FAILED: $name"; failed=$((failed + 1)); fi
}

started_dockerd=""
if ! docker info >/dev/null 2>&1; then
  dockerd >/tmp/grpcstream-dockerd.log 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
fi

export SDK_IMAGE=${SDK_IMAGE:-grpcstream/standin-sdk:10.0}
export RUNTIME_IMAGE=${RUNTIME_IMAGE:-grpcstream/standin-runtime:10.0}
if [[ $SDK_IMAGE == grpcstream/standin-* ]]; then
  bash ./make-standin-images.sh || failed=$((failed + 1))
fi

compose=(docker-compose -p grpcstream-ci -f compose.hostnet.yaml)
stop_dockerd() {
  if [ -n "$started_dockerd" ]; then
    kill "$started_dockerd" 2>/dev/null
    wait "$started_dockerd" 2>/dev/null
  fi
}
cleanup() {
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1
  stop_dockerd
}
trap cleanup EXIT

healthy() { # container
  for _ in $(seq 1 90); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null)" = healthy ] && return 0
    sleep 1
  done
  docker logs "$1" 2>&1 | tail -20
  return 1
}

build() { DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0 "${compose[@]}" build --quiet >/tmp/grpcstream-build.log 2>&1 || { tail -30 /tmp/grpcstream-build.log; return 1; }; }
check "compose.yaml is valid" docker-compose -f compose.yaml config -q
check "compose.secure.yaml is valid" env GRPCSTREAM_PASSWORD=x docker-compose -f compose.secure.yaml config -q
check "images build" build
check "compose up" "${compose[@]}" up -d
check "origin healthy" healthy grpcstream-ci_origin_1
check "edge healthy" healthy grpcstream-ci_edge_1

url=rtsp://127.0.0.1:8554/movie.Mjpeg
probe() {
  local got
  got=$(ffprobe -v error -rtsp_transport "$1" -show_entries stream=codec_name,width,height -of csv=p=0 "$url")
  [ "$got" = "mjpeg,320,240" ] || { echo "  ffprobe over $1 said: $got"; return 1; }
}
check "ffprobe over tcp" probe tcp
check "ffprobe over udp" probe udp

restart_under_playback() {
  local out=/tmp/grpcstream-restart.mjpeg
  ffmpeg -v error -rtsp_transport tcp -i "$url" -frames:v 250 -c:v copy -f mjpeg -y "$out" &
  local player=$!
  sleep 2
  "${compose[@]}" stop origin >/dev/null 2>&1
  sleep 1
  "${compose[@]}" start origin >/dev/null 2>&1
  local waited=0
  while kill -0 "$player" 2>/dev/null && [ $waited -lt 60 ]; do sleep 1; waited=$((waited + 1)); done
  kill "$player" 2>/dev/null
  if ! wait "$player"; then echo "  ffmpeg did not finish 250 frames within ${waited}s of the restart"; restart_logs; return 1; fi
  local frames
  frames=$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 -f mjpeg "$out")
  # Whole log first: with pipefail, `docker logs | grep -q` fails when grep stops reading before docker is done.
  local log
  log=$(docker logs grpcstream-ci_edge_1 2>&1)
  if ! grep -q "resumed after [0-9]" <<<"$log"; then echo "  the edge never logged a resumed origin stream"; restart_logs; return 1; fi
  if [ "$frames" != 250 ]; then echo "  ffmpeg saved $frames frames, not 250"; restart_logs; return 1; fi
}
restart_logs() {
  echo "  --- edge log (last 30 lines)"; docker logs grpcstream-ci_edge_1 2>&1 | tail -30 | sed 's/^/  /'
  echo "  --- origin log (last 15 lines)"; docker logs grpcstream-ci_origin_1 2>&1 | tail -15 | sed 's/^/  /'
}
check "edge session survives an origin restart" restart_under_playback

"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1

# The secured pair, on the images just built.
certs=$(mktemp -d)
secure=(docker-compose -p grpcstream-ci-secure -f compose.secure.hostnet.yaml)
export CERTS_DIR=$certs GRPCSTREAM_USER=viewer GRPCSTREAM_PASSWORD="ci-$RANDOM-$RANDOM"
cleanup() {
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1
  "${secure[@]}" down -v --remove-orphans >/dev/null 2>&1
  rm -rf "$certs"
  stop_dockerd
}
# The containers run as uid 1654: it must reach the folder (mktemp makes it 0700) and read the keys.
make_certs() { bash ../scripts/make-certs.sh "$certs" >/dev/null && chmod 755 "$certs" && chown 1654 "$certs"/*.key; }
check "make-certs.sh" make_certs
check "secure compose up" "${secure[@]}" up -d
check "secure origin healthy" healthy grpcstream-ci-secure_origin_1
check "secure edge healthy" healthy grpcstream-ci-secure_edge_1
probe_rtsps() {
  local got
  got=$(ffprobe -v error -rtsp_transport tcp -show_entries stream=codec_name,width,height -of csv=p=0 \
    "rtsps://$GRPCSTREAM_USER:$GRPCSTREAM_PASSWORD@127.0.0.1:8322/movie.Mjpeg")
  [ "$got" = "mjpeg,320,240" ] || { echo "  ffprobe over rtsps said: $got"; docker logs grpcstream-ci-secure_edge_1 2>&1 | tail -20 | sed 's/^/  /'; return 1; }
}
check "ffprobe over rtsps with a user, origin over mutual TLS" probe_rtsps
refused_without_user() {
  local said
  said=$(ffprobe -v error -rtsp_transport tcp "rtsp://127.0.0.1:8554/movie.Mjpeg" 2>&1) && return 1
  grep -q 401 <<<"$said" || { echo "  ffprobe without a user said: $said"; return 1; }
}
check "plain rtsp without a user gets 401" refused_without_user
"${secure[@]}" down -v --remove-orphans >/dev/null 2>&1

left_behind() {
  local containers networks
  local project
  for project in grpcstream-ci grpcstream-ci-secure; do
    containers=$(docker ps -aq --filter "label=com.docker.compose.project=$project") || return 1
    networks=$(docker network ls -q --filter "label=com.docker.compose.project=$project") || return 1
    [ -z "$containers" ] && [ -z "$networks" ] || return 1
  done
}
check "nothing left behind" left_behind
trap - EXIT
rm -rf "$certs"
stop_dockerd
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
