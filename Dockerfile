# Build: the Swift toolchain image, with the same system packages as .ci/run installs.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libsqlite3-dev libpq-dev libphonenumber-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --product livehub --static-swift-stdlib \
 && cp "$(swift build -c release --show-bin-path)/livehub" /usr/local/bin/livehub

# Run: slim Debian with the runtime halves of those packages.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g libsqlite3-0 libpq5 libphonenumber8 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/livehub /usr/local/bin/livehub
COPY web /srv/livehub/web
WORKDIR /srv/livehub
VOLUME /srv/livehub/data
EXPOSE 8080
# Inside a container the hub must listen on every interface to be reachable.
ENTRYPOINT ["livehub", "serve", "--host", "0.0.0.0", "--port", "8080", "--data-dir", "/srv/livehub/data", "--web-root", "/srv/livehub/web"]
