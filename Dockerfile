# parkd as a small static image: built with CGO_ENABLED=0 (SQLite is the
# pure-Go modernc.org/sqlite), run as a non-root user on distroless/static
# (no shell, no package manager; CA certificates and tzdata included).
#
#   docker build -t parkd .
#   docker run -p 8443:8443 -v parkd-data:/data parkd
#
# The data folder is /data (PARKD_DATA). Every setting is a PARKD_*
# variable; secrets (PARKD_DB with its password, PARKD_S3_ACCESS_KEY,
# PARKD_S3_SECRET_KEY) come from the environment or files, never flags.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags='-s -w' -o /out/parkd ./cmd/parkd \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/parkd /usr/local/bin/parkd
# The data folder belongs to the image's non-root user (uid 65532).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV PARKD_DATA=/data
VOLUME ["/data"]
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/parkd"]
CMD ["serve"]
