# The release image (GoReleaser's dockers_v2, buildx): the binary GoReleaser
# built for the target platform, on scratch with CA certificates and a
# writable /tmp, as a non-root user. The repository's Dockerfile builds the
# same image from source.
FROM alpine:3 AS base
RUN apk add --no-cache ca-certificates \
 && mkdir -p /out/etc/ssl/certs /out/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && echo 'kycemu:x:65532:65532:kycemu:/:/sbin/nologin' > /out/etc/passwd \
 && echo 'kycemu:x:65532:' > /out/etc/group \
 && chmod 1777 /out/tmp

FROM scratch
ARG TARGETPLATFORM
COPY --from=base /out/ /
COPY ${TARGETPLATFORM}/kycemu /kycemu
USER 65532:65532
ENV KYCEMU_ADDR=:8080
EXPOSE 8080
# As in the Dockerfile: every 250 ms while starting, every 2 s once healthy.
HEALTHCHECK --interval=2s --start-interval=250ms --start-period=10s --timeout=2s --retries=3 CMD ["/kycemu", "health"]
ENTRYPOINT ["/kycemu"]
CMD ["serve"]
