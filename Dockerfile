# RedFlag's server: the Next.js production build with the agent binaries it hands out, on Node.
#   docker build -t redflag .
#   docker run -p 8080:8080 -v redflag-data:/data redflag     (embedded database in the volume)
# compose.yaml runs it with PostgreSQL. test/container-image.test.ts validates this file, and
# test/e2e/container-entrypoint.e2e.ts runs the runtime stage's layout and CMD as they are written here.

# The Node major the project supports and tests on (README: Node.js 20 or newer).
ARG NODE_IMAGE=node:20-bookworm-slim

# The pinned Bun (tools/package.json), installed with npm as scripts/quickstart.mjs does; all of
# tools/, since build:agents cross-compiles the agent from every pinned @oven/bun-* runtime.
FROM ${NODE_IMAGE} AS bun
WORKDIR /tools
COPY tools/package.json tools/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# Only what the server needs at run time (no TypeScript, Biome, drizzle-kit, test tools): every
# workspace manifest, so that the frozen lockfile matches, and their production dependencies.
FROM ${NODE_IMAGE} AS production-dependencies
COPY --from=bun /tools/node_modules/bun/bin/bun.exe /usr/local/bin/bun
WORKDIR /app
COPY package.json bun.lock ./
COPY apps/web/package.json ./apps/web/
COPY packages/api/package.json ./packages/api/
COPY packages/client/package.json ./packages/client/
COPY packages/contracts/package.json ./packages/contracts/
COPY packages/db/package.json ./packages/db/
COPY agent-bun/package.json ./agent-bun/
RUN bun install --frozen-lockfile --production

# The Next.js build and the agent binaries for every target (dist/agents, served at /downloads).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=bun /tools/node_modules ./tools/node_modules
ENV NEXT_TELEMETRY_DISABLED=1 \
    PATH=/app/tools/node_modules/.bin:$PATH
COPY . .
RUN bun install --frozen-lockfile
# The build cache is of no use to `next start`.
RUN bun run build && rm -rf apps/web/.next/cache
RUN bun run build:agents

FROM ${NODE_IMAGE} AS runtime
# A system user with a fixed id, so a volume's owner is predictable; it owns only the data directory.
RUN groupadd --system --gid 10001 redflag \
    && useradd --system --uid 10001 --gid redflag --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin redflag \
    && mkdir /data \
    && chown redflag:redflag /data
# No secret here: REDFLAG_SECRET and the rest come from the environment at run time (compose.yaml).
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=8080 \
    REDFLAG_DATA_DIR=/data
# The workspace manifests with their production node_modules, then the built server and what it
# reads at run time: the migrations, the version (package.json), the install scripts it serves,
# the agent binaries, and next.config.ts with the module it imports.
COPY --from=production-dependencies /app /app
COPY --from=build /app/drizzle /app/drizzle
COPY --from=build /app/agent-bun/install /app/agent-bun/install
COPY --from=build /app/dist/agents /app/dist/agents
COPY --from=build /app/apps/web/.next /app/apps/web/.next
COPY --from=build /app/apps/web/next.config.ts /app/apps/web/next.config.ts
COPY --from=build /app/apps/web/src/security-headers.ts /app/apps/web/src/security-headers.ts
# Where `npm start` runs the server: the repository root (drizzle/) and dist/agents are found from here.
WORKDIR /app/apps/web
# The embedded database (used when DATABASE_URL is unset).
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/health').then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
# `npm start`'s server, without its install and build steps: next start on PORT.
CMD ["node", "node_modules/next/dist/bin/next", "start"]
