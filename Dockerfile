# syntax=docker/dockerfile:1
# One image for every node: SERVICES chooses the service group a container runs (config/topology.ts).
# Node 24 runs the TypeScript sources directly (type stripping), so nothing is compiled. Production
# talks to a real MongoDB 7 (MONGO_URL is required), so the embedded development database is not built.
#
#   docker build -t registry.example.com/license-server:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#
# NODE_IMAGE pins the base; production builds may pin it by digest as well (docs/deployment.md).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# Production dependencies only, installed without running any package's install script.
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="license-server" \
      org.opencontainers.image.description="Software-licensing server: activation, verification, heartbeats, updates and the admin API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="UNLICENSED"
# tini as PID 1: forwards SIGTERM to node (which drains, lib/infra/graceful-stop.ts) and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PORT=8080 \
    HEALTH_PORT=8081 \
    METRICS_PORT=9464
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json moleculer.config.ts ./
COPY config ./config
COPY lib ./lib
COPY mixins ./mixins
COPY models ./models
COPY services ./services
COPY scripts ./scripts
COPY web ./web
# The base image's `node` user, by number, so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 8081 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 CMD ["node", "scripts/healthcheck.ts"]
ENTRYPOINT ["/usr/bin/tini", "--"]
# V8 flags of every server node (lib/infra/node-flags.ts): Node takes them only on the command line.
CMD ["node", "--no-memory-reducer", "scripts/start.ts"]
