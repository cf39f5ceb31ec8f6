# The BatchFlow worker service (see docker-compose.yml). Build: `docker build -t batchflow .`
FROM node:20-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so code changes do not reinstall them. `--ignore-scripts` skips the
# package's own `prepare` (a build, before the sources are here); better-sqlite3's native
# binding (and msgpackr-extract's) is then set up by its own install script, the two that
# package.json's allowScripts names.
COPY package.json package-lock.json ./
RUN npm ci --include=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 msgpackr-extract

COPY . .
# pg and mysql2 are optional peers of the package (dev dependencies of this repo): the worker
# image keeps them, so every sink type works in it; so are the OpenTelemetry SDK packages that
# tracing (`OTEL_*` variables) needs.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund \
  && npm install --no-save --omit=dev --ignore-scripts --no-audit --no-fund pg@^8.16.3 mysql2@^3.15.3 \
     @opentelemetry/sdk-trace-node@^2.12.1 @opentelemetry/exporter-trace-otlp-http@~0.223.1 @opentelemetry/resources@^2.12.1

# Runs as the image's unprivileged user; /app/data holds the demo SQLite database.
RUN mkdir -p /app/data && chown node:node /app/data
USER node

EXPOSE 9464
CMD ["node", "dist/consumers/cli.js", "worker"]
