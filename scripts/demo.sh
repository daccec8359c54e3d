#!/usr/bin/env bash
# The main job: one session created, changed and destroyed with the real Pulumi CLI,
# against the bundled emulator, on a local file backend in a temporary directory.
# Leaves nothing behind: the emulator is stopped and the directory removed on exit.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
export PATH="$venv/bin:$HOME/.pulumi/bin:$PATH"

if ! command -v pulumi >/dev/null 2>&1; then
    echo "The Pulumi CLI is not on PATH; installing it the official way (https://get.pulumi.com)..."
    if ! (curl -fsSL --max-time 60 https://get.pulumi.com | sh) >/tmp/pulumi-qpu-install.log 2>&1 \
        || ! command -v pulumi >/dev/null 2>&1; then
        cat >&2 <<'MSG'

make demo needs the Pulumi CLI, and it could not be installed here. The CLI is a Go
binary that Pulumi ships only from get.pulumi.com and GitHub releases; no package
registry (PyPI, npm, Debian) carries it, and this machine cannot reach those hosts
(the installer's output is in /tmp/pulumi-qpu-install.log). Install it yourself
(https://www.pulumi.com/docs/install/), put it on PATH and run `make demo` again.
Without the CLI, everything the demo does is still exercised by `make test`, which
runs examples/basic (and every other example) through the SDK's own dynamic provider
host under a mock engine.
MSG
        exit 1
    fi
fi

work="$(mktemp -d -t pulumi-qpu-demo.XXXXXX)"
emulator_pid=""
cleanup() {
    if [ -n "$emulator_pid" ]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "== starting the emulator"
"$venv/bin/python" -u -m pulumi_qpu.emulator --port 0 --start-delay 1 >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
for _ in $(seq 1 100); do
    grep -q '^export SCW_DEFAULT_PROJECT_ID=' "$work/emulator.out" 2>/dev/null && break
    sleep 0.1
done
if ! grep -q '^export SCW_DEFAULT_PROJECT_ID=' "$work/emulator.out"; then
    echo "the emulator did not start:" >&2; cat "$work/emulator.err" >&2; exit 1
fi
# shellcheck disable=SC1090
source <(grep '^export SCW_' "$work/emulator.out")
echo "   emulator at $SCW_API_URL"

cp -r "$root/examples/basic" "$work/basic"
cd "$work/basic"
# Use the project's virtualenv (pulumi-qpu installed in editable mode) instead of a new one.
sed -i "s|virtualenv: .*|virtualenv: $venv|" Pulumi.yaml
export PULUMI_BACKEND_URL="file://$work/state"
export PULUMI_CONFIG_PASSPHRASE="pulumi-qpu-demo"
export PULUMI_SKIP_UPDATE_CHECK=1
mkdir -p "$work/state"

pulumi stack init demo --non-interactive
pulumi config set team quantum-demo
echo "== pulumi preview"; pulumi preview --non-interactive
echo "== pulumi up";      pulumi up --yes --non-interactive
echo "== outputs";        pulumi stack output --json
echo "== change a tag and pulumi up again"
pulumi config set team quantum-demo-2
pulumi up --yes --non-interactive
pulumi stack output --json
echo "== pulumi destroy"; pulumi destroy --yes --non-interactive
pulumi stack rm demo --yes --non-interactive
echo "== done: the session was created, changed and destroyed; nothing is left running"
