#!/usr/bin/env bash
# Prints the figures of a kycemu image: its size, and the time from
# `docker run` to the first 200 from /_emulator/health, from the process
# start (State.StartedAt) to that 200, and to Docker's own "healthy".
# Usage: .ci/image-figures.sh [IMAGE]   (default kycemu:ci)
set -euo pipefail
img=${1:-kycemu:ci}
size=$(docker image inspect -f '{{.Size}}' "$img")
echo "image $img: $((size / 1000)) kB ($(awk "BEGIN{printf \"%.1f\", $size/1048576}") MiB)"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms)
id=$(docker run -d -p 127.0.0.1::8080 "$img")
trap 'docker rm -f "$id" >/dev/null' EXIT
port=$(docker port "$id" 8080/tcp | head -1 | sed 's/.*://')
until curl -fsS -o /dev/null "http://127.0.0.1:$port/_emulator/health" 2>/dev/null; do sleep 0.002; done
t1=$(ms)
started=$(date -d "$(docker inspect -f '{{.State.StartedAt}}' "$id")" +%s%3N)
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]; do sleep 0.05; done
t2=$(ms)
hc=$(docker image inspect -f '{{with .Config.Healthcheck}}interval {{.Interval}}, start interval {{.StartInterval}}{{end}}' "$img" 2>/dev/null || echo unknown)
echo "docker run -> health 200: $((t1 - t0)) ms; process start -> health 200: $((t1 - started)) ms; docker run -> Docker 'healthy': $((t2 - t0)) ms (HEALTHCHECK $hc)"
