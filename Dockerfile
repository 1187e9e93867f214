# syntax=docker/dockerfile:1
# The meshcert admission webhook image.
#   docker build -t ghcr.io/meshcert/meshcert-webhook:0.1.0 .
# Three stages: compile the TypeScript with every dependency, install production dependencies
# only, then copy both onto a distroless Node 20 base (no shell, no package manager, uid 65532).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
# Only what the webhook runs: core/ <- pki/ <- mesh/, policies/ <- cluster/ (background audit) <- webhook/.
COPY core ./core
COPY pki ./pki
COPY mesh ./mesh
COPY policies ./policies
COPY cluster ./cluster
COPY webhook ./webhook
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /src/node_modules ./node_modules
COPY package.json ./
COPY bin/meshcert-webhook.js ./bin/meshcert-webhook.js
COPY --from=build /src/dist/core ./dist/core
COPY --from=build /src/dist/pki ./dist/pki
COPY --from=build /src/dist/mesh ./dist/mesh
COPY --from=build /src/dist/policies ./dist/policies
COPY --from=build /src/dist/cluster ./dist/cluster
COPY --from=build /src/dist/webhook ./dist/webhook
# Numeric, so the kubelet can enforce runAsNonRoot.
USER 65532:65532
EXPOSE 8443 9090
# The script is part of the entrypoint, so a pod's `args:` are webhook flags only (Kubernetes
# `args` replace CMD and keep ENTRYPOINT).
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/meshcert-webhook.js"]
CMD ["--tls-cert-file=/tls/tls.crt", "--tls-private-key-file=/tls/tls.key"]
