# Rialto's container image: `docker build -t rialto .` (or podman), then
#   docker run -p 8787:8787 -v rialto-data:/data rialto
# GGUF files in /data/models are served as text models; /etc/rialto/rialto.yaml (deploy/container/rialto.yaml)
# is the configuration, DATABASE_URL / REDIS_URL point it at PostgreSQL and Redis (compose.yaml, deploy/k8s/).

# ---- build: dependencies, the compiled server (dist/) and the console, then only the runtime dependencies ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its addon where its prebuilt download is unreachable; cmake and git build llama-server.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ cmake git \
  && rm -rf /var/lib/apt/lists/*
# node-gyp builds against the headers the node image ships instead of downloading them.
ENV npm_config_nodedir=/usr/local
# How npm reaches its registry, when not directly: a registry URL, and CA certificates (PEM text) for a
# TLS-inspecting proxy. Every npm step of this stage sources /etc/npm-env.sh; the runtime stage has neither.
ARG NPM_REGISTRY=""
ARG NPM_EXTRA_CA=""
RUN { if [ -n "$NPM_EXTRA_CA" ]; then printf '%s\n' "$NPM_EXTRA_CA" > /etc/npm-extra-ca.pem; \
        echo 'export NODE_EXTRA_CA_CERTS=/etc/npm-extra-ca.pem'; fi; \
      if [ -n "$NPM_REGISTRY" ]; then echo "export npm_config_registry='$NPM_REGISTRY'"; fi; } > /etc/npm-env.sh
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# `npm install`, not `npm ci`: the lockfile leaves out node-llama-cpp's optional packages for other platforms, which
# `npm ci` counts as out of sync. Dependencies' scripts run (as package.json's allowScripts says) once all are in.
RUN . /etc/npm-env.sh && npm install --no-audit --no-fund --ignore-scripts && npm rebuild
# llama.cpp's own server for models on the `llama-server` engine, Release, from the llama.cpp source node-llama-cpp
# ships (the same llama.cpp as the llama-cpp engine), before the sources are copied so that a code change does not
# rebuild it; the image runs it from /usr/local/bin ($RIALTO_LLAMA_SERVER below).
COPY scripts/build-llama-server.sh scripts/build-llama-server.sh
RUN LLAMA_SERVER_JOBS="$(nproc)" bash scripts/build-llama-server.sh \
  && install -m 755 "$(bash scripts/build-llama-server.sh --path)" /usr/local/bin/llama-server \
  && rm -rf node_modules/.cache/llama-server
COPY tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY scripts/build.mjs scripts/build.mjs
COPY console console
COPY src src
RUN . /etc/npm-env.sh && npm run build:console && npm run build && npm prune --omit=dev --no-audit --no-fund
# onnxruntime-node ships its native library for every OS; macOS's and Windows' are 220 MB the image never loads.
RUN rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

# ---- runtime: Node, the speech tools, Rialto as an unprivileged user ----
FROM node:20-bookworm-slim
# espeak-ng + ffmpeg: /audio/speech (tts-espeak); pocketsphinx + its US English model: /audio/transcriptions;
# libgomp1: llama-server's OpenMP threads.
RUN apt-get update \
  && apt-get install -y --no-install-recommends espeak-ng ffmpeg pocketsphinx pocketsphinx-en-us libgomp1 \
  && rm -rf /var/lib/apt/lists/*
# A fixed numeric id: Kubernetes can check runAsNonRoot only against a number (deploy/k8s/deployment.yaml).
RUN groupadd --system --gid 10001 rialto \
  && useradd --system --uid 10001 --gid rialto --home-dir /data --no-create-home --shell /usr/sbin/nologin rialto \
  && mkdir -p /data/models && chown -R rialto:rialto /data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/bin bin
COPY --from=build /app/dist dist
COPY --from=build /app/console/dist console/dist
COPY --from=build /usr/local/bin/llama-server /usr/local/bin/llama-server
COPY deploy/container/rialto.yaml /etc/rialto/rialto.yaml
RUN ln -s /app/bin/rialto.js /usr/local/bin/rialto
ENV NODE_ENV=production RIALTO_CONFIG=/etc/rialto/rialto.yaml RIALTO_PORT=8787 \
  RIALTO_LLAMA_SERVER=/usr/local/bin/llama-server
USER 10001:10001
VOLUME /data
EXPOSE 8787
# /ready: the store answers and the models can serve (see src/services/readiness.ts).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + process.env.RIALTO_PORT + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["rialto"]
CMD ["serve"]
