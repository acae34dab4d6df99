# syntax=docker/dockerfile:1
#
# A small flowform image: a static binary (musl) on distroless's `static` base (CA certificates,
# no shell, no libc), running as a non-root user.
#
#   docker build -t flowform .
#   docker run --rm -v "$PWD:/work" -u "$(id -u):$(id -g)" \
#     -e CELIGO_API_TOKEN flowform plan --state integrator
#
# The spec folder is mounted at /work, the working directory. Run as your own user (`-u`) so
# flowform can write `.flowform/` (state, sandbox) and saved plans there; the image's own user
# is 65532 (`nonroot`).

FROM rust:1-alpine AS build
# musl-dev: the C parts (ring's cryptography, the mimalloc allocator) link against musl; Rust's
# musl target links statically, so the binary needs nothing at run time.
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p flowform-cli \
    && cp target/release/flowform /flowform
# The binary must not need a dynamic loader: distroless/static has none.
RUN ! ldd /flowform 2>/dev/null | grep -q '=>'
RUN /flowform --version

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /flowform /usr/local/bin/flowform
WORKDIR /work
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/flowform"]
CMD ["--help"]
