# syntax=docker/dockerfile:1
# cidproxy in a container: a static binary on a distroless base, non-root,
# the store in a volume.
#   docker build -t cidproxy .
#   docker run -d --name cidproxy -p 5060:5060/udp -p 5060:5060/tcp -p 8080:8080 \
#     -v cidproxy-data:/var/lib/cidproxy -v $PWD/cidproxy.yaml:/etc/cidproxy/cidproxy.yaml:ro cidproxy
#   docker kill -s HUP cidproxy     # reload the configuration
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY third_party ./third_party
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/cidproxy ./cmd/cidproxy \
 && mkdir -p /out/data && /out/cidproxy config check deploy/docker/cidproxy.yaml

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cidproxy /usr/local/bin/cidproxy
COPY --from=build --chown=65532:65532 /out/data /var/lib/cidproxy
COPY deploy/docker/cidproxy.yaml /etc/cidproxy/cidproxy.yaml
USER 65532:65532
WORKDIR /var/lib/cidproxy
VOLUME ["/var/lib/cidproxy"]
EXPOSE 5060/udp 5060/tcp 8080/tcp
# Health: GET /healthz (up) and /readyz (store open, SIP listeners bound) on
# port 8080; distroless has no shell or curl, so let the orchestrator probe.
ENTRYPOINT ["/usr/local/bin/cidproxy"]
CMD ["serve", "--config", "/etc/cidproxy/cidproxy.yaml"]
