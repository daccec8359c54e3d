#!/usr/bin/env bash
# Make the pinned Pulumi CLI available and print the directory that holds it.
#
#   scripts/pulumi-cli.sh            # prints e.g. /home/me/.cache/pulumi-qpu/cli/v3.274.1/bin
#   export PATH="$(scripts/pulumi-cli.sh):$PATH"
#
# Progress goes to stderr; stdout carries only the directory, so the line above works.
# The directory always holds `pulumi` and the dynamic-provider shim
# `pulumi-resource-pulumi-python` (and `pulumi-language-python` when it could be had).
#
# Where the CLI comes from, first match wins:
#   1. PULUMI_QPU_CLI=/path/to/pulumi: that binary (it must be at least the minimum below);
#   2. `pulumi` on PATH, at least the minimum version;
#   3. a build cached by an earlier run (PULUMI_QPU_CACHE, default
#      ${XDG_CACHE_HOME:-~/.cache}/pulumi-qpu/cli/<version>);
#   4. built here from the Go modules github.com/pulumi/pulumi/{pkg,sdk}/v3 at the pinned
#      version (needs `go` and the Go module proxy; minutes when Go's caches are cold);
#   5. the official installer (get.pulumi.com), where the network allows it (not tried
#      when PULUMI_QPU_OFFLINE=1);
#   else a paragraph saying what to do, and exit status 1.
# Running it again does nothing new; after the first run it needs no network.
#
# PULUMI_QPU_CLI_VERSION=3.181.0 asks for that version instead of the pinned one, e.g. to
# check the minimum CLI (`make test-floor`): step 2 is skipped, steps 3-5 use that version
# (with its own cache folder, .../cli/v3.181.0).
set -euo pipefail

# The one place that names the pinned and the minimum CLI versions.
PINNED_VERSION="${PULUMI_QPU_CLI_VERSION:-3.274.1}"
# The minimum: stack config reaches a dynamic provider's configure from 3.139, and the
# Automation API refuses refresh and destroy of an inline program (what the suite and a
# demo without the language host run) before 3.181 (README, "The Pulumi CLI").
MINIMUM_VERSION="3.181.0"

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${PULUMI_QPU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-qpu/cli/v$PINNED_VERSION}"
say() { printf 'pulumi-cli: %s\n' "$*" >&2; }

# version_of BINARY -> "3.274.1" or "" (an unstamped build prints nothing).
version_of() { "$1" version 2>/dev/null | sed -n 's/^v\{0,1\}\([0-9][0-9.]*\).*/\1/p' | head -1; }

# at_least A B -> success when version A >= version B.
at_least() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }

# The shim the engine starts for Python dynamic providers: the SDK's own entry point,
# run by the Python Pulumi's release shim would pick, in the same order: the project's
# virtualenv (PULUMI_RUNTIME_VIRTUALENV, which the language host sets from Pulumi.yaml's
# `virtualenv` option; for the uv and poetry toolchains their environment), made
# absolute against the project folder; else PULUMI_PYTHON_CMD; else python3. Like the
# release shim it runs Python as its child rather than exec'ing it, so the provider
# host's parent is this shell, as with a Pulumi release. The pip package has no shim.
write_shim() {
    local dir="$1"
    cat >"$dir/pulumi-resource-pulumi-python" <<'SHIM'
#!/bin/sh
# Pulumi's dynamic-provider plugin: runs `python -m pulumi.dynamic` with the program's Python.
venv="${PULUMI_RUNTIME_VIRTUALENV:-}"
if [ -z "$venv" ]; then
    case "${PULUMI_RUNTIME_TOOLCHAIN:-}" in
        uv) venv=".venv" ;;
        poetry) venv="$(poetry env info --path)" ;;
    esac
fi
if [ -z "$venv" ]; then
    "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic "$@"
    exit $?
fi
venv="${venv%/}"
case "$venv" in
    /*) ;;
    *) venv="$PWD/$venv" ;;
esac
if [ ! -f "$venv/bin/python" ]; then
    echo "Pulumi.yaml's virtualenv option names \"$venv\", which is not a virtual environment with Python in bin/." >&2
    echo "Create it: python3 -m venv \"$venv\" && \"$venv/bin/python\" -m pip install -r requirements.txt" >&2
    exit 1
fi
PATH="$venv/bin:$PATH"
export PATH
unset PYTHONHOME
"$venv/bin/python" -u -m pulumi.dynamic "$@"
SHIM
    chmod +x "$dir/pulumi-resource-pulumi-python"
}

# use DIR_WITH_PULUMI: add the shim beside it (or in the cache when that is read-only).
use() {
    local dir="$1"
    local shim="$dir/pulumi-resource-pulumi-python"
    # A shim of ours (an earlier one, maybe) is rewritten; a release's own is kept.
    if [ -x "$shim" ] && grep -q "^# Pulumi's dynamic-provider plugin: runs" "$shim" && [ -w "$dir" ]; then
        write_shim "$dir"
    elif [ ! -x "$shim" ]; then
        if [ -w "$dir" ]; then
            write_shim "$dir"
        else
            # A system-wide pulumi without the shim: give a cache folder holding both.
            mkdir -p "$cache/bin"
            ln -sf "$dir/pulumi" "$cache/bin/pulumi"
            write_shim "$cache/bin"
            dir="$cache/bin"
        fi
    fi
    printf '%s\n' "$dir"
    exit 0
}

check_minimum() {
    local bin="$1" version
    version="$(version_of "$bin")"
    if [ -z "$version" ] || ! at_least "$version" "$MINIMUM_VERSION"; then
        say "$bin is version '${version:-unknown}'; pulumi-qpu needs at least $MINIMUM_VERSION."
        return 1
    fi
}

# 1. An explicit choice.
if [ -n "${PULUMI_QPU_CLI:-}" ]; then
    check_minimum "$PULUMI_QPU_CLI" || exit 1
    use "$(cd "$(dirname "$PULUMI_QPU_CLI")" && pwd)"
fi

# 2. On PATH and new enough (an older one is reported, then passed over).
if [ -z "${PULUMI_QPU_CLI_VERSION:-}" ] && on_path="$(command -v pulumi 2>/dev/null)"; then
    if check_minimum "$on_path"; then
        use "$(cd "$(dirname "$on_path")" && pwd)"
    fi
    say "passing over $on_path; using the pinned $PINNED_VERSION instead."
fi

# 3. A cached build.
if [ -x "$cache/bin/pulumi" ] && [ "$(version_of "$cache/bin/pulumi")" = "$PINNED_VERSION" ]; then
    use "$cache/bin"
fi

# 4. Build from the Go modules.
if command -v go >/dev/null 2>&1; then
    say "building the Pulumi CLI v$PINNED_VERSION from its Go modules into $cache."
    say "a cold build downloads ~300 modules and compiles for 10-25 minutes on 2 cores;"
    say "with Go's caches warm it takes about a minute. It happens once per machine."
    module="$cache/module"
    mkdir -p "$module" "$cache/bin"
    # A wrapper module: pkg/v3's own go.mod has `replace` lines, which `go install`
    # refuses, so we require pkg and sdk at the same version and repeat pkg's
    # module-to-module replaces (not its local ../sdk one) here.
    cat >"$module/go.mod" <<EOF
module pulumi-qpu.local/pulumi-cli

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 v$PINNED_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PINNED_VERSION
)
EOF
    cat >"$module/tools.go" <<'EOF'
//go:build tools

// Package tools pins the Pulumi CLI's main package so that `go mod tidy` keeps it.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
    (
        cd "$module"
        export GOFLAGS=-mod=mod
        say "downloading github.com/pulumi/pulumi/pkg/v3@v$PINNED_VERSION"
        pkg_dir="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@v$PINNED_VERSION" |
            sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
        grep -E '^replace [^ ]+ => [^.][^ ]* v' "$pkg_dir/go.mod" >>go.mod || true
        say "resolving the module graph"
        go mod tidy >&2
        say "compiling (go build -v lists each package as it is compiled)"
        # `pulumi version` reads sdk's variable in recent CLIs (v3.274.1) and pkg's in older
        # ones (v3.139.0): stamp both (the linker ignores the one a version lacks).
        CGO_ENABLED=0 go build -v -trimpath \
            -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PINNED_VERSION -X github.com/pulumi/pulumi/pkg/v3/version.Version=v$PINNED_VERSION" \
            -o "$cache/bin/pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi 2>&1 |
            tee "$cache/build.log" |
            awk '{ n++; if (n % 200 == 0) printf "pulumi-cli: %d packages compiled\n", n > "/dev/stderr" }'
        mv "$cache/bin/pulumi.new" "$cache/bin/pulumi"
    ) || { say "the build failed; the last lines of $cache/build.log:"; tail -20 "$cache/build.log" >&2 || true; }
    if [ -x "$cache/bin/pulumi" ] && [ "$(version_of "$cache/bin/pulumi")" = "$PINNED_VERSION" ]; then
        write_shim "$cache/bin"
        # The Python language host has no version tags, and the proxy refuses it by
        # name; try once, quietly, so that a proxy that serves it one day is used.
        if ! [ -x "$cache/bin/pulumi-language-python" ] && [ ! -e "$cache/language-host-refused" ]; then
            if (cd "$module" && GOFLAGS=-mod=mod CGO_ENABLED=0 GOBIN="$cache/bin" go install -trimpath \
                github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3@latest) 2>"$cache/language-host.err"; then
                say "built the Python language host too."
            else
                say "the Python language host is not served by the Go module proxy:"
                say "  $(grep -o 'server response: .*' "$cache/language-host.err" | head -1)"
                say "programs run through the Automation API's inline programs instead."
                touch "$cache/language-host-refused"
            fi
        fi
        say "ready: $("$cache/bin/pulumi" version)"
        use "$cache/bin"
    fi
fi

# 5. The official installer.
if [ "${PULUMI_QPU_OFFLINE:-}" != 1 ] && command -v curl >/dev/null 2>&1 &&
    curl -fsSL --max-time 20 https://get.pulumi.com -o "${TMPDIR:-/tmp}/pulumi-install.sh" 2>/dev/null; then
    say "installing Pulumi v$PINNED_VERSION with the official installer"
    if sh "${TMPDIR:-/tmp}/pulumi-install.sh" --version "$PINNED_VERSION" --install-root "$cache" --no-edit-path >&2; then
        use "$cache/bin"
    fi
fi

cat >&2 <<MSG
pulumi-cli: no Pulumi CLI could be found or made here.
  pulumi-qpu needs the Pulumi CLI, at least v$MINIMUM_VERSION (the suite pins v$PINNED_VERSION).
  None was on PATH, no build was cached in $cache, and neither Go (to build it from the
  Go module proxy) nor https://get.pulumi.com (the official installer) could be used.
  Install it from https://www.pulumi.com/docs/install/ and put it on PATH, or point
  PULUMI_QPU_CLI at a pulumi binary, then run this again.
MSG
exit 1
