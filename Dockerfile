# pca-harness image: the CLI, the mock platform and the reference supplier.
# Build: docker build -t pca-harness:local .    Run: docker run --rm -p 7070:7070 pca-harness:local serve --host 0.0.0.0

# --- build: compile TypeScript with the dev dependencies -------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY core ./core
COPY cli ./cli
COPY mocks ./mocks
COPY contracts ./contracts
COPY suites ./suites
COPY fixtures ./fixtures
COPY load ./load
COPY index.ts ./
RUN npm ci && npm run build

# --- runtime: production dependencies only, non-root ------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips our own "prepare" (tsc is a dev dependency); the native module is then built explicitly.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev --ignore-scripts \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force \
 && apt-get purge -y python3 make g++ && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY contracts/pacts ./contracts/pacts
COPY load/k6 ./load/k6
# /pack and /reports: compose's load-pack and load-reports volumes take this ownership (docker-compose.yml).
RUN mkdir -p /state /reports /pack && chown -R node:node /state /reports /pack
USER node
ENV PCA_HARNESS_STATE_DIR=/state
VOLUME ["/state"]
EXPOSE 7070 7171
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD node -e "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||7070)+'/_harness/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/pca-harness.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "7070"]
