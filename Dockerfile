# syntax=docker/dockerfile:1
#
# The currency resource type image:
#
#   /opt/resource/check, /opt/resource/in, /opt/resource/out   the Concourse steps
#   /usr/local/bin/currency                                     the CLI (fly execute, laptops)
#   git, CA certificates, and the Go toolchain in /usr/local/go (go.mod bumps run `go`)
#
# Build (BuildKit; what ci/pipeline.yml does with oci-build-task):
#
#   docker build -t currency .
#   docker build --build-arg GO_VERSION=1.26.4 --build-arg GO_SHA256=<sha256 from go.dev/dl> -t currency .
#   docker build --build-arg RUN_TESTS=true -t currency .     # also runs `bash .ci/run` in the builder
#
# The binaries are laid out by ci/assemble-resource, the same script with which .ci/run assembles
# the directory the protocol tests run against (CURRENCY_RESOURCE_DIR), so what is tested is what
# ships.

# The Rust of the project's CI. The crate needs 1.88 or newer; RUN_TESTS=true also installs s3s-fs,
# which needs 1.92.
ARG RUST_VERSION=1.95.0
ARG DEBIAN_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
# Builder: release binaries (and, opt-in, the test suite)
# ---------------------------------------------------------------------------------------------
FROM rust:${RUST_VERSION}-bookworm AS builder

# openssl (native-tls, libgit2's https) and zlib are linked dynamically; the runtime stage has
# the matching libssl3 and zlib1g of the same Debian release. Debian packages are not pinned
# (a stable release only receives security fixes, and old versions leave the archive).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# The tests need local stand-ins (git http-backend, sshd, s3s-fs, a GCS emulator, a recent Go):
# .ci/run installs them from Debian, PyPI and crates.io before running `cargo test --locked`.
# Off by default: it roughly triples the build time.
ARG RUN_TESTS=false
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    if [ "$RUN_TESTS" = "true" ]; then bash .ci/run; fi

# `cargo build --release --locked`, then copies into /assembled/opt/resource/{check,in,out} and
# /assembled/usr/local/bin/currency. (A RUN of its own: the test run above is optional.)
# hadolint ignore=DL3059
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    ci/assemble-resource /assembled

# ---------------------------------------------------------------------------------------------
# Go toolchain: downloaded and verified in its own stage, so curl stays out of the image
# ---------------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS go

# GO_SHA256 is the sha256 that go.dev/dl lists for go${GO_VERSION}.linux-${TARGETARCH}.tar.gz;
# the default is that of go1.26.4 linux-amd64. Change both together (for arm64 images too).
ARG GO_VERSION=1.26.4
ARG GO_SHA256=1153d3d50e0ac764b447adfe05c2bcf08e889d42a02e0fe0259bd47f6733ad7f
ARG TARGETARCH=amd64

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN test -n "$GO_SHA256" || { echo "GO_SHA256 is required" >&2; exit 1; }; \
    curl -fsSL --retry 3 -o /tmp/go.tar.gz "https://go.dev/dl/go${GO_VERSION}.linux-${TARGETARCH}.tar.gz" \
 && echo "${GO_SHA256}  /tmp/go.tar.gz" | sha256sum -c - \
 && tar -C /usr/local -xzf /tmp/go.tar.gz \
 && rm /tmp/go.tar.gz \
 && /usr/local/go/bin/go version

# ---------------------------------------------------------------------------------------------
# Runtime: the resource image
# ---------------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE}

# git for repositories and Go modules, CA certificates (Concourse workers mount theirs over
# /etc/ssl/certs), and the shared libraries the binaries link (libssl3, zlib1g).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git libssl3 zlib1g \
 && rm -rf /var/lib/apt/lists/*

COPY --from=go /usr/local/go /usr/local/go
COPY --from=builder /assembled/ /

LABEL org.opencontainers.image.source="https://github.com/cloudfoundry-community/currency" \
      org.opencontainers.image.description="Concourse resource type and CLI that keeps BOSH releases current" \
      org.opencontainers.image.licenses="Apache-2.0"

# `go` on PATH and named explicitly: Concourse passes the image's ENV to check/in/out.
ENV PATH=/usr/local/go/bin:$PATH \
    CURRENCY_GO=/usr/local/go/bin/go

# Which user runs it. Concourse runs check/in/out (and tasks) as the image's USER, but up to
# 8.2.x the volumes it mounts — the `in` destination, the `out` inputs, task inputs and outputs —
# stay owned by root (concourse/concourse#403), so a non-root USER could not write plan.json or
# the bump's checkout. The image therefore keeps root as its default user, which is also what
# Concourse gives an image without USER. The unprivileged user `currency` (uid 1000, HOME
# /home/currency) is there for everything else:
#
#   docker run --rm -i --user currency -v "$PWD:/release" IMAGE currency report --source ... --repo /release
#
# A task may ask for it too (`run: {user: currency}`) on a Concourse that chowns volumes to the
# task's user. Repositories mounted from elsewhere belong to another uid: git (and libgit2) would
# refuse them as "dubious ownership", hence safe.directory for every path.
RUN useradd --create-home --uid 1000 --user-group --shell /usr/sbin/nologin currency \
 && git config --system --add safe.directory '*' \
 && currency --version \
 && go version
