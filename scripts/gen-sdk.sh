#!/usr/bin/env bash
# Generate the Python, TypeScript (Node.js) and Go SDKs of a Pulumi package from its schema.
#
#   scripts/gen-sdk.sh SCHEMA.json OUTDIR VERSION [LANGUAGES]
#   scripts/gen-sdk.sh build/qpu.schema.json build/sdk 0.1.0     # writes build/sdk/{python,nodejs,go}
#
# LANGUAGES is a comma-separated subset of python,nodejs,go (default: all three). Each
# OUTDIR/<language> is replaced. The version is written into every SDK (package.json,
# setup.py, pulumi-plugin.json, the Go module's defaults): no placeholder is left.
#
# `pulumi package gen-sdk` hands each language to that language's host, and the Go
# module proxy serves none of the Node.js, Python and Go hosts; their code generators
# are Go packages of github.com/pulumi/pulumi/pkg/v3, which tools/gen-sdk calls directly.
# It is built once per machine (about 3 minutes with Go's caches warmed by the CLI's
# build, more cold) into ${XDG_CACHE_HOME:-~/.cache}/pulumi-qpu/gen-sdk/<hash of its
# sources> (PULUMI_QPU_CACHE_ROOT overrides the first part), so a change to
# tools/gen-sdk rebuilds it and nothing else does. Progress goes to stderr.
set -euo pipefail

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "usage: $0 SCHEMA.json OUTDIR VERSION [python,nodejs,go]" >&2
    exit 2
fi
schema="$1" out="$2" version="$3" languages="${4:-python,nodejs,go}"

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tools/gen-sdk"
say() { printf 'gen-sdk: %s\n' "$*" >&2; }

key="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)"
cache="${PULUMI_QPU_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-qpu}/gen-sdk/$key"
tool="$cache/gen-sdk"

if [ ! -x "$tool" ]; then
    if ! command -v go >/dev/null 2>&1; then
        say "the SDK generator is built with Go, and there is no go on PATH: install Go (https://go.dev/dl/)."
        exit 1
    fi
    say "building the SDK generator (tools/gen-sdk) into $cache"
    say "(about 3 minutes once Go's caches are warm, longer cold; once per change of tools/gen-sdk)."
    mkdir -p "$cache"
    # -mod=readonly: the committed go.mod and go.sum are the whole truth (no silent upgrade).
    if ! (cd "$src" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 \
        go build -trimpath -ldflags "-s -w" -o "$tool.new" .) >"$cache/build.log" 2>&1; then
        say "the build failed; the last lines of $cache/build.log:"
        tail -20 "$cache/build.log" >&2 || true
        exit 1
    fi
    mv "$tool.new" "$tool"
fi

"$tool" -schema "$schema" -out "$out" -version "$version" -languages "$languages"
