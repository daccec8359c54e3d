#!/usr/bin/env bash
# Make the YAML language host available beside the pinned Pulumi CLI and print that
# directory (the same one scripts/pulumi-cli.sh prints).
#
#   export PATH="$(scripts/pulumi-yaml.sh):$PATH"
#   cd my-yaml-project && pulumi up      # a Pulumi.yaml with `runtime: yaml`
#
# Progress goes to stderr; stdout carries only the directory.
#
# The CLI runs a `runtime: yaml` project through `pulumi-language-yaml`, which a Pulumi
# release bundles beside `pulumi` but a CLI built from the Go modules lacks. It comes from:
#   1. the CLI's own folder, when it already has one (a release's bundled host is kept);
#   2. a build cached by an earlier run (PULUMI_QPU_CACHE_ROOT, default
#      ${XDG_CACHE_HOME:-~/.cache}/pulumi-qpu, then yaml/v<version>/bin);
#   3. built here with `go install github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml`
#      at the pinned version (needs `go` and the Go module proxy; about a minute once the
#      CLI's build has warmed Go's caches, a few minutes cold);
# and is linked into the CLI's folder: the CLI finds a host beside itself first (a host
# there counts as bundled, so `pulumi plugin install language yaml` is neither needed
# nor accepted). Running it again does nothing new; after the first run it needs no
# network. PULUMI_QPU_YAML_VERSION=1.11.1 asks for another version (its own cache folder).
set -euo pipefail

# The one place that names the pinned YAML host's version.
YAML_VERSION="${PULUMI_QPU_YAML_VERSION:-1.25.0}"

root="$(cd "$(dirname "$0")/.." && pwd)"
cache_root="${PULUMI_QPU_CACHE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-qpu}"
cache="$cache_root/yaml/v$YAML_VERSION"
say() { printf 'pulumi-yaml: %s\n' "$*" >&2; }

cli_dir="$("$root/scripts/pulumi-cli.sh")"
host="$cli_dir/pulumi-language-yaml"
built="$cache/bin/pulumi-language-yaml"

# 1. A host the CLI's folder already has: a release's own, or our link to this version.
if [ -x "$host" ] && { [ ! -L "$host" ] || [ "$(readlink "$host")" = "$built" ]; }; then
    printf '%s\n' "$cli_dir"
    exit 0
fi

# 3. Build it (2. is the cached build, used as is).
if [ ! -x "$built" ]; then
    if ! command -v go >/dev/null 2>&1; then
        say "no pulumi-language-yaml beside $cli_dir/pulumi, none cached in $cache,"
        say "and no Go to build it: install Go (https://go.dev/dl/) and run this again,"
        say "or use a Pulumi release, which bundles the YAML host."
        exit 1
    fi
    say "building pulumi-language-yaml v$YAML_VERSION from its Go module into $cache"
    say "(about a minute with Go's caches warm, a few minutes cold; once per machine)."
    mkdir -p "$cache/bin"
    # `go install pkg@version` uses the module's own go.mod (pulumi-yaml has no replace
    # lines); GOWORK and GOFLAGS are cleared so that no surrounding setting changes it.
    # The version is stamped where the host reports it to the engine.
    if ! (cd "$cache" && GOWORK=off GOFLAGS= CGO_ENABLED=0 GOBIN="$cache/bin.new" go install -trimpath \
        -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$YAML_VERSION" \
        "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml@v$YAML_VERSION") >"$cache/build.log" 2>&1; then
        say "the build failed; the last lines of $cache/build.log:"
        tail -20 "$cache/build.log" >&2 || true
        exit 1
    fi
    mv "$cache/bin.new/pulumi-language-yaml" "$built"
    rmdir "$cache/bin.new"
fi

if [ ! -w "$cli_dir" ]; then
    say "$cli_dir is not writable: cannot put pulumi-language-yaml beside pulumi there."
    say "Put $cache/bin on PATH before $cli_dir instead, or point PULUMI_QPU_CLI at a pulumi in a writable folder."
    exit 1
fi
ln -sfn "$built" "$host"
say "ready: $host -> $built"
printf '%s\n' "$cli_dir"
