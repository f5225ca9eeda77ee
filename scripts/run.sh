#!/usr/bin/env bash
# Starts the system on its built-in sample. Until the edge exists this is the origin alone.
# Extra arguments go to the origin (for example --media-root DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "Origin: gRPC on localhost:50051, health on http://localhost:8081/healthz, stream 'movie.Mjpeg'"
exec dotnet run --project src/GrpcStream.Origin -c Release -- "$@"
