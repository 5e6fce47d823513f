#!/usr/bin/env bash
# Builds the real Dockerfile with podman, runs the image, and checks that it answers a chat (a tiny GGUF) and a
# speech request (espeak-ng); then removes what it made. Where base images cannot be pulled, it first makes a local
# stand-in for node:20-bookworm-slim: a Debian bookworm root file system (debootstrap) with this machine's Node 20
# and npm in the official image's places (/usr/local), imported and tagged with that name.
#
# Needs: podman, runc, debootstrap (apt-get install -y podman runc debootstrap), root, Node 20, curl.
# Usage: scripts/container-smoke.sh [--keep-base]   (--keep-base keeps the stand-in image for the next run)
# Environment: SMOKE_PORT (default 18787), DEBIAN_MIRROR (default: this machine's apt source, else deb.debian.org).
set -euo pipefail

cd "$(dirname "$0")/.."
KEEP_BASE=false
[[ "${1:-}" == "--keep-base" ]] && KEEP_BASE=true
PORT="${SMOKE_PORT:-18787}"
IMAGE=localhost/rialto-smoke:latest
BASE=node:20-bookworm-slim
NAME="rialto-smoke-$$"
WORK="$(mktemp -d /var/tmp/rialto-smoke.XXXXXX)"
started=$SECONDS

# podman as this machine needs it: runc, cgroupfs, no default ulimits (the sandbox refuses to raise them).
printf '[containers]\ndefault_ulimits = []\n' > "$WORK/containers.conf"
export CONTAINERS_CONF="$WORK/containers.conf"
pm() { podman --runtime runc --cgroup-manager=cgroupfs "$@"; }
say() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - started))"; }

made_base=false
cleanup() {
  pm rm -f "$NAME" >/dev/null 2>&1 || true
  pm volume rm -f "$NAME-data" >/dev/null 2>&1 || true
  pm rmi -f "$IMAGE" >/dev/null 2>&1 || true
  if $made_base && ! $KEEP_BASE; then pm rmi -f "localhost/$BASE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in podman runc debootstrap curl node; do
  command -v "$tool" >/dev/null || { echo "container-smoke: $tool is missing (apt-get install -y podman runc debootstrap)" >&2; exit 2; }
done

if pm image exists "localhost/$BASE"; then
  say "using the existing stand-in for $BASE"
else
  say "making a stand-in for $BASE"
  mirror="${DEBIAN_MIRROR:-$(grep -hoE '^URIs: *http[^ ]*/debian$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 | awk '{print $2}')}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  root="$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  # The official image keeps node, npm and the headers (which node-gyp builds against) under /usr/local.
  node_bin="$(readlink -f "$(command -v node)")"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  node_prefix="$(dirname "$(dirname "$node_bin")")"
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/usr/local/include"
  cp "$node_bin" "$root/usr/local/bin/node"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  cp -a "$node_prefix/include/node" "$root/usr/local/include/node"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
  tar -C "$root" -c . | pm import --change 'CMD ["node"]' - "$BASE" >/dev/null
  rm -rf "$root"
  made_base=true
fi

# npm inside the build reaches the registry as npm here does: its registry, and the extra CA Node trusts here.
build_args=()
registry="$(npm config get registry 2>/dev/null || true)"
[[ -n "$registry" && "$registry" != "https://registry.npmjs.org/" ]] && build_args+=(--build-arg "NPM_REGISTRY=$registry")
ca_file="${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}"
if [[ -n "$ca_file" && "$ca_file" != "null" && -r "$ca_file" ]]; then
  # Only the certificates Node does not already trust: a whole system bundle is too long for one argument.
  extra_ca="$(node -e "
    const own = new Set(require('node:tls').rootCertificates.map((pem) => pem.replace(/\s+/g, '')));
    const pems = require('node:fs').readFileSync(process.argv[1], 'utf8').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    process.stdout.write(pems.filter((pem) => !own.has(pem.replace(/\s+/g, ''))).join('\n'));" "$ca_file")"
  [[ -n "$extra_ca" ]] && build_args+=(--build-arg "NPM_EXTRA_CA=$extra_ca")
fi

say "building the Dockerfile"
pm build --network host --pull=never --format docker --layers=false --force-rm "${build_args[@]}" -t "$IMAGE" -f Dockerfile . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; exit 1; }
pm image exists "$IMAGE" || { echo "container-smoke: the build made no image" >&2; tail -40 "$WORK/build.log" >&2; exit 1; }
size="$(pm image inspect --format '{{.Size}}' "$IMAGE")"
say "built $IMAGE: $((size / 1000000)) MB"

node --import tsx --input-type=module -e "
  const { tinyModelPath } = await import('./test/fixtures/tiny-gguf.ts');
  const { copyFileSync } = await import('node:fs');
  copyFileSync(await tinyModelPath(), process.argv[1]);" "$WORK/tiny-chat.gguf"
chmod 644 "$WORK/tiny-chat.gguf"

say "starting the container"
pm run -d --name "$NAME" --network host -e "RIALTO_PORT=$PORT" \
  -v "$NAME-data:/data" -v "$WORK/tiny-chat.gguf:/data/models/tiny-chat.gguf:ro" "$IMAGE" >/dev/null
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 120); do
  curl -fsS "$base/ready" >/dev/null 2>&1 && break
  [[ "$(pm inspect --format '{{.State.Running}}' "$NAME")" == true ]] || { pm logs "$NAME" >&2; exit 1; }
  sleep 1
done
curl -fsS "$base/ready" >/dev/null || { echo "container-smoke: /ready never answered 200" >&2; pm logs "$NAME" | tail -30 >&2; exit 1; }
pm healthcheck run "$NAME" >/dev/null || { echo "container-smoke: the image's HEALTHCHECK failed" >&2; exit 1; }
[[ "$(pm exec "$NAME" id -un)" == rialto ]] || { echo "container-smoke: the server does not run as rialto" >&2; exit 1; }
say "ready and healthy"

key="$(pm exec "$NAME" rialto keys create --description container-smoke 2>/dev/null | head -1)"
[[ "$key" == rk-* ]] || { echo "container-smoke: keys create printed no key" >&2; exit 1; }

chat="$(curl -fsS "$base/api/v1/chat/completions" -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"model":"tiny-chat","messages":[{"role":"user","content":"hi"}],"max_tokens":3,"temperature":0}')"
node -e "const c = JSON.parse(process.argv[1]); if (c.object !== 'chat.completion' || c.usage.completion_tokens !== 3) process.exit(1);" "$chat" \
  || { echo "container-smoke: unexpected chat answer: $chat" >&2; exit 1; }
say "chat answered: $chat"

curl -fsS "$base/api/v1/audio/speech" -H "authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"model":"tts-espeak","input":"Hello from the container.","response_format":"wav"}' -o "$WORK/speech.wav" -D "$WORK/speech.headers"
grep -qi '^content-type: audio/' "$WORK/speech.headers" && [[ "$(head -c 4 "$WORK/speech.wav")" == RIFF ]] \
  && [[ "$(stat -c %s "$WORK/speech.wav")" -gt 10000 ]] \
  || { echo "container-smoke: the speech answer is not a WAV file" >&2; cat "$WORK/speech.headers" >&2; exit 1; }
say "speech answered: $(stat -c %s "$WORK/speech.wav") bytes of WAV"

say "container smoke passed (image $((size / 1000000)) MB)"
