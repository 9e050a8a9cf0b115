# One image for every node; SERVICES chooses what a container runs. Node 24 runs the TypeScript
# sources directly (type stripping), so there is no build step. Production talks to a real MongoDB 7
# (MONGO_URL is required), so the embedded development database is not built (--ignore-scripts).
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY config ./config
COPY lib ./lib
COPY mixins ./mixins
COPY models ./models
COPY services ./services
COPY scripts ./scripts
COPY moleculer.config.ts ./
USER node
EXPOSE 8080
CMD ["node", "scripts/start.ts"]
