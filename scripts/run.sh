#!/usr/bin/env bash
# Starts the system on its built-in sample: the origin (gRPC on :50051, health on :8081) and the edge
# (RTSP on :8554, health and metrics on :8080). Ctrl+C stops both.
# Extra arguments go to the origin, for example: ./scripts/run.sh --media-root ~/videos
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build GrpcStream.sln -c Release -v quiet -nologo >/dev/null
dotnet src/GrpcStream.Origin/bin/Release/net10.0/GrpcStream.Origin.dll "$@" &
origin=$!
dotnet src/GrpcStream.Edge/bin/Release/net10.0/GrpcStream.Edge.dll &
edge=$!
trap 'kill $edge $origin 2>/dev/null; wait' INT TERM EXIT

for _ in $(seq 1 60); do
  if curl -sf http://127.0.0.1:8080/healthz >/dev/null 2>&1 && curl -sf http://127.0.0.1:8081/healthz >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done

cat <<MSG

  GrpcStream is running. Open in VLC, ffplay or GStreamer:

    rtsp://localhost:8554/movie.Mjpeg

  for example:  ffplay rtsp://localhost:8554/movie.Mjpeg
                ffplay -rtsp_transport tcp rtsp://localhost:8554/movie.Mjpeg

  Health: http://localhost:8080/healthz   Metrics: http://localhost:8080/metrics
  Ctrl+C to stop.

MSG
wait -n $origin $edge
