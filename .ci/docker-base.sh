#!/usr/bin/env bash
# Prepares, without any registry, the images the offline build and the
# container tests need:
#
#   kycemu/go-builder:<go version> and :local
#       the Dockerfile's builder base (pass --build-arg GO_IMAGE=kycemu/go-builder:local):
#       a root filesystem made of the local Go toolchain (GOROOT), Debian's
#       busybox-static for the shell and core utilities, and the host's CA
#       certificates, imported with `docker import` (tagged <go version>-raw);
#       then warmed: one container compiles ./cmd/kycemu with the Dockerfile's
#       flags, taking modules from the host's module cache (a file:// GOPROXY,
#       so the container needs no network), and is committed. The image then
#       holds the modules and the compiled standard library and dependencies,
#       and `docker build` needs neither the network nor minutes of compiling.
#       The warm layer is redone when go.sum changes.
#   testcontainers/sshd:<tag testcontainers-go asks for>
#       only when absent: a stand-in for the image testcontainers-go starts
#       for host port access (webhooks from a container to the test process),
#       built from .ci/sshd plus busybox. With registry access the real image
#       is pulled instead and this step is skipped (SKIP_SSHD=1 skips it too).
#
# Usage: .ci/docker-base.sh [--force]
# Prints the builder tag on its last line. Needs docker and go; installs
# busybox-static with apt-get when /bin/busybox is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

force=0
[ "${1:-}" = "--force" ] && force=1

goroot=$(go env GOROOT)
gover=$(go env GOVERSION)            # e.g. go1.26.8
tag="kycemu/go-builder:${gover#go}"  # kycemu/go-builder:1.26.8
raw_tag="$tag-raw"
local_tag="kycemu/go-builder:local"

need_busybox() {
  if [ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1; then return; fi
  echo "docker-base: installing Debian's busybox-static" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq busybox-static >/dev/null
}

# add_busybox ROOTFS: busybox at /bin/busybox with a symlink per applet.
add_busybox() {
  local root=$1
  mkdir -p "$root/bin" "$root/usr/bin" "$root/sbin"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] && continue
    ln -sf busybox "$root/bin/$applet"
  done
}

# add_etc ROOTFS: CA certificates, users, a world-writable /tmp.
add_etc() {
  local root=$1
  mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/root"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  chmod 1777 "$root/tmp"
}

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

build_raw() {
  if [ $force -eq 0 ] && has_image "$raw_tag"; then return; fi
  need_busybox
  local root
  root=$(mktemp -d)
  add_busybox "$root"
  add_etc "$root"
  mkdir -p "$root/usr/local/go" "$root/go" "$root/src"
  # The toolchain without its own test suite, docs and API lists.
  tar -C "$goroot" --exclude=./test --exclude=./doc --exclude=./api -cf - . | tar -C "$root/usr/local/go" -xf -
  echo "docker-base: importing $raw_tag from $goroot ($gover) and busybox" >&2
  tar -C "$root" --numeric-owner -cf - . | docker import \
    --change 'ENV PATH=/usr/local/go/bin:/go/bin:/usr/bin:/bin:/sbin' \
    --change 'ENV GOROOT=/usr/local/go' \
    --change 'ENV GOPATH=/go' \
    --change 'ENV HOME=/root' \
    --change 'ENV GOTOOLCHAIN=local' \
    --change 'WORKDIR /src' \
    --change 'CMD ["/bin/sh"]' \
    --change "LABEL org.opencontainers.image.title=kycemu-go-builder org.opencontainers.image.version=${gover#go}" \
    - "$raw_tag" >/dev/null
  rm -rf "$root"
}

build_builder() {
  local sum
  sum=$(sha256sum go.sum | cut -c1-16)
  if [ $force -eq 0 ] && has_image "$tag" &&
     [ "$(docker image inspect -f '{{index .Config.Labels "kycemu.gosum"}}' "$tag")" = "$sum" ]; then
    docker tag "$tag" "$local_tag"
    echo "docker-base: $tag already present and warm for this go.sum" >&2
    return
  fi
  build_raw
  # Modules for the warm-up come from the host's cache, served as a file
  # proxy: the host reaches the Go module proxy, the container need not.
  go mod download
  local modcache name="kycemu-go-builder-warm-$$"
  modcache=$(go env GOMODCACHE)
  echo "docker-base: warming $tag (modules and compiled dependencies of ./cmd/kycemu)" >&2
  docker rm -f "$name" >/dev/null 2>&1 || true
  # The variables are set in the command, not with -e: docker commit keeps a
  # container's environment, and the image must not keep this GOPROXY.
  docker run --name "$name" --network none \
    -v "$PWD:/src:ro" -v "$modcache/cache/download:/hostproxy:ro" \
    "$raw_tag" sh -c 'GOPROXY=file:///hostproxy GOSUMDB=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
      go build -trimpath -ldflags "-s -w" -o /dev/null ./cmd/kycemu' >&2
  docker commit \
    --change "LABEL kycemu.gosum=$sum" \
    --change 'CMD ["/bin/sh"]' \
    "$name" "$tag" >/dev/null
  docker rm "$name" >/dev/null
  docker tag "$tag" "$local_tag"
}

sshd_image() {
  local dir
  dir=$(go list -m -f '{{.Dir}}' github.com/testcontainers/testcontainers-go 2>/dev/null) || return 0
  grep -ho 'testcontainers/sshd:[0-9A-Za-z._-]*' "$dir/port_forwarding.go" | head -1
}

build_sshd() {
  [ "${SKIP_SSHD:-0}" = 1 ] && return
  local img
  img=$(sshd_image)
  if [ -z "$img" ]; then
    echo "docker-base: testcontainers-go not in the module graph; no sshd image needed" >&2
    return
  fi
  if has_image "$img" && [ $force -eq 0 ]; then
    echo "docker-base: $img already present" >&2
    return
  fi
  need_busybox
  local root
  root=$(mktemp -d)
  add_busybox "$root"
  add_etc "$root"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$root/usr/sbin/sshd" ./.ci/sshd
  echo "docker-base: importing $img (stand-in built from .ci/sshd)" >&2
  tar -C "$root" --numeric-owner -cf - . | docker import \
    --change 'ENV PATH=/usr/sbin:/usr/bin:/bin:/sbin' \
    --change 'EXPOSE 22' \
    --change 'ENTRYPOINT ["/usr/sbin/sshd"]' \
    --change "LABEL org.opencontainers.image.description=kycemu-offline-stand-in-for-${img}-built-from-.ci/sshd" \
    - "$img" >/dev/null
  rm -rf "$root"
}

build_builder
build_sshd
echo "$local_tag"
