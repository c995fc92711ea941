#!/usr/bin/env bash
# image.sh - `make image` (ci/mkimage): static amd64/arm64/armv7 programs in FROM scratch
# images, one manifest list. Runs the amd64 image with podman and asks msdemo for its
# bodies and health endpoints, checks: numeric non-root user, no shell, ptest inside,
# the manifest lists amd64, arm64 and arm/v7, and each is under 1 MiB as pulled.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if ! command -v podman >/dev/null; then
  fail "podman missing (scripts/deps.sh test installs podman, buildah, runc)"; finish
fi
tag=itest-$$
list=localhost/pitestbed:$tag
name=pitestbed-itest-$$
ids=()
podman_cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  podman manifest rm "$list" >/dev/null 2>&1 || true
  # By ID: removing the tags alone can leave the images behind, untagged.
  local i
  for i in "${ids[@]}" "$list-amd64" "$list-arm64" "$list-armv7"; do
    podman rmi -f "$i" >/dev/null 2>&1 || true
  done
}
trap 'podman_cleanup; cleanup' EXIT
# The same containers.conf ci/mkimage writes (runc, ulimits).
source "$ROOT/ci/podman.sh"

if OUT=$TMP/out "$ROOT/ci/mkimage" "$tag" >"$TMP/mkimage.log" 2>&1; then
  ok "ci/mkimage builds the three images and the manifest list"
else
  tail -30 "$TMP/mkimage.log"; fail "ci/mkimage"; finish
fi
grep -E 'KiB|manifest list' "$TMP/mkimage.log"
for a in amd64 arm64 armv7; do
  ids+=("$(podman image inspect --format '{{.Id}}' "$list-$a")")
done

archs=$(podman manifest inspect "$list" | python3 -c '
import json, sys
m = json.load(sys.stdin)
print(" ".join(sorted(p["platform"]["architecture"] + ("/" + p["platform"]["variant"] if p["platform"].get("variant") else "")
                      for p in m["manifests"])))')
check_eq "manifest lists amd64, arm64, arm/v7" "amd64 arm/v7 arm64" "$archs"
check_eq "numeric non-root user" "65532:65532" "$(podman image inspect --format '{{.User}}' "$list-amd64")"
# The goal: under 1 MiB per architecture as a node pulls it (the zstd layer ci/publish pushes).
for a in amd64 arm64 arm/v7; do
  kib=$(awk -v a="$a" '$1 == "pull" && $2 == a { print $3 }' "$TMP/mkimage.log")
  check_cmd "$a pull size under 1 MiB (${kib:-?} KiB)" test "${kib:-99999}" -lt 1024
done

port=$(free_port)
if podman run -d --name "$name" -p "127.0.0.1:$port:8080" "$list-amd64" >"$TMP/run.log" 2>&1; then
  ok "podman run the amd64 image"
else
  cat "$TMP/run.log"; fail "podman run the amd64 image"; finish
fi
if wait_http "http://127.0.0.1:$port/readyz" 20; then
  check_eq "GET / from the container" "Hello World!" "$(curl -s "http://127.0.0.1:$port/")"
  check_eq "GET /B from the container" "*****BETA*****" "$(curl -s "http://127.0.0.1:$port/B")"
  check_eq "/healthz (liveness probe)" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")"
  check_eq "/readyz (readiness probe)" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"
else
  podman logs "$name" || true; fail "the container's msdemo never answered"
fi
if podman exec "$name" /bin/sh -c true >/dev/null 2>&1; then fail "the image has a shell"; else ok "no shell in the image"; fi
check_cmd "ptest in the image" podman run --rm --entrypoint /ptest "$list-amd64" --version
podman stop -t 5 "$name" >/dev/null 2>&1 || true
check_eq "msdemo exits 0 on SIGTERM (drain)" 0 "$(podman inspect --format '{{.State.ExitCode}}' "$name")"
finish
