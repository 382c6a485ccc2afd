# kycemu container image: a static binary on scratch.
#
#   docker build -t kycemu .                      # with access to Docker Hub
#   .ci/docker-base.sh && docker build \
#     --build-arg GO_IMAGE=kycemu/go-builder:local -t kycemu .   # offline
#
# The builder only needs `go` and a POSIX shell, so any Go 1.26 image works
# as GO_IMAGE; .ci/docker-base.sh makes one from the local Go toolchain when
# no registry can be reached, with the modules already in its module cache.
# Missing modules come from GOPROXY (a build arg); with GOPROXY=off, from a
# vendor/ directory made with `go mod vendor`.
#
# The file sticks to what the classic builder understands (no RUN --mount,
# no syntax directive) so that it builds on engines without BuildKit.

ARG GO_IMAGE=golang:1.26

FROM ${GO_IMAGE} AS build
# Lets `docker image prune --filter label=kycemu.stage=build` remove the
# builder stages the classic builder leaves behind, and nothing else.
LABEL kycemu.stage=build
ARG GOPROXY=https://proxy.golang.org,direct
ARG GOSUMDB=sum.golang.org
ARG VERSION=devel
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
WORKDIR /src
# No separate `go mod download` layer: it would fetch the test-only modules
# too (testcontainers-go), and `go build` fetches just what the binary needs.
COPY . .
RUN go build -trimpath \
      -ldflags "-s -w -X github.com/kycemu/kycemu/emulator.version=${VERSION}" \
      -o /out/kycemu ./cmd/kycemu \
 && mkdir -p /out/etc/ssl/certs /out/tmp /data \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && echo 'kycemu:x:65532:65532:kycemu:/:/sbin/nologin' > /out/etc/passwd \
 && echo 'kycemu:x:65532:' > /out/etc/group \
 && chmod 1777 /out/tmp

FROM scratch
ARG VERSION=devel
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="kycemu" \
      org.opencontainers.image.description="Offline emulator of KYC provider HTTP APIs for integration tests" \
      org.opencontainers.image.source="https://github.com/kycemu/kycemu" \
      org.opencontainers.image.url="https://github.com/kycemu/kycemu" \
      org.opencontainers.image.documentation="https://github.com/kycemu/kycemu#readme" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=build /out/ /
# /data is where `-e KYCEMU_DATA_DIR=/data` keeps state across restarts;
# mount a named volume there (docker run -v kycemu-data:/data ...).
COPY --from=build --chown=65532:65532 /data /data
VOLUME ["/data"]
USER 65532:65532
ENV KYCEMU_ADDR=:8080
EXPOSE 8080
# Every 250 ms while the container starts (kycemu answers healthy some 20 ms
# after it is started), so Docker reports it healthy within a second; every
# 2 s once it is. --start-interval needs Docker Engine 25 or later; .ci/run
# drops it for an older engine, whose checks then start after 2 s.
HEALTHCHECK --interval=2s --start-interval=250ms --start-period=10s --timeout=2s --retries=3 CMD ["/kycemu", "health"]
ENTRYPOINT ["/kycemu"]
CMD ["serve"]
