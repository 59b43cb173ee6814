# syntax=docker/dockerfile:1
# dpo in a FROM scratch image: no shell, no package manager, nothing but dpo, the dynamic loader
# and the libraries it links, CA certificates, /etc/passwd with user dpo (65532), an empty /tmp.
# scripts/build_image_root.sh builds that root in the build stage; `deno task image-check` runs
# the same script and proves the result (see README.md, "Running anywhere").
#
#   docker build -t dpo .                     the Deno runtime + the app's cached module graph
#   docker build --target compiled -t dpo .   the single compiled binary (deno compile fetches its
#                                             runtime, denort, from the internet at build time)
#   docker run --rm -v "$PWD:/work" dpo init-execution          (state in ./.dpo; the folder
#                                             must be writable by uid 65532)
#
# The ENTRYPOINT, ENV and RUN lines of the two final stages must read exactly as
# build_image_root.sh prints them: `deno task image-check` fails when they differ.

FROM debian:12-slim AS build
# ldd (libc-bin) lists the libraries to copy, readelf (binutils) cross-checks the list; npm
# installs the pinned Deno.
RUN apt-get update \
  && apt-get install -y --no-install-recommends binutils ca-certificates nodejs npm \
  && rm -rf /var/lib/apt/lists/*
RUN npm install -g deno@2.9.6
WORKDIR /src
COPY . .
RUN scripts/build_image_root.sh /rootfs

FROM build AS compile
RUN deno task compile && scripts/build_image_root.sh /rootfs-compiled dist/dpo

FROM scratch AS compiled
COPY --from=compile /rootfs-compiled/ /
ENV DENO_DIR=/tmp/deno-dir
ENV DENO_TLS_CA_STORE=system
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/dpo"]

# The default target: last in the file. BuildKit builds only the stages it needs, so this one
# never runs the compile stage.
FROM scratch AS runtime
COPY --from=build /rootfs/ /
ENV DENO_DIR=/app/deno-dir
ENV DENO_NO_UPDATE_CHECK=1
ENV DENO_TLS_CA_STORE=system
# Runs the entrypoint once on each code path (scripts/warm_image_caches.ts), as root, so Deno's
# transpile and V8 code caches exist at the paths the image runs from; the container's user only
# reads them. It also fails the build when dpo cannot start in this root.
RUN ["/usr/local/bin/deno", "run", "--quiet", "--no-prompt", "--cached-only", "--frozen", "--config", "/app/deno.json", "--allow-run=/usr/local/bin/deno", "--allow-read=/tmp", "--allow-write=/tmp", "/app/warm_caches.ts", "/usr/local/bin/deno", "run", "--quiet", "--no-prompt", "--cached-only", "--frozen", "--config", "/app/deno.json", "--allow-read", "--allow-write", "--allow-env", "--allow-net", "/app/main.ts"]
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/deno", "run", "--quiet", "--no-prompt", "--cached-only", "--frozen", "--config", "/app/deno.json", "--allow-read", "--allow-write", "--allow-env", "--allow-net", "/app/main.ts"]
