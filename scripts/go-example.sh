#!/usr/bin/env bash
# Build examples/go on the generated SDK (sdk/go) and print the path of the program.
#
#   program="$(scripts/go-example.sh [OUTFILE])"    # default OUTFILE: build/qpu-go-example
#   "$program" up
#
# examples/go/go.mod requires github.com/pulumi/pulumi/sdk/v3 (Automation API included) and
# replaces the SDK's module with ../../sdk/go; its go.sum is the whole truth (-mod=readonly).
# The modules come from the Go module proxy once per machine (Go's module cache), and the
# build is cached by Go: about 2 minutes the first time, seconds after. Progress goes to
# stderr; stdout carries only the program's path.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/qpu-go-example}"
say() { printf 'go-example: %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
    say "no go on PATH: install Go (https://go.dev/dl/)."
    exit 1
fi
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
say "go build examples/go"
(cd "$root/examples/go" && GOWORK=off GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -o "$out" .) >&2 ||
    { say "the build failed"; exit 1; }
printf '%s\n' "$out"
