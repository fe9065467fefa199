// PostGraphile v5 over the bench database, for the side-by-side runs of
// `make bench` (bench/run.sh). A cluster primary forks PG_WORKERS worker
// processes that share one loopback port; each worker builds its own
// PostGraphile instance (Amber preset, schema `public`).
//
// Every request runs as the role catalogue_app with the tenant scope the
// bench principal has in bin/catalogue: PostGraphile opens a transaction
// per request and applies pgSettings with set_config(..., true), which the
// row-level security policies of migration 0003 read. There is no
// authentication: the settings are fixed for the whole run.
//
// Environment: PG_URL (connection string of a role that may SET ROLE
// catalogue_app), PORT, PG_TENANT_IDS (comma-separated UUIDs, the value of
// app.tenant_ids), PG_ALL_TENANTS (on/off, app.all_tenants), PG_WORKERS (2),
// PG_POOL_MAX (10 per worker), PG_READY_FILE (written by the primary once
// every worker listens), PG_SCHEMA_FILE (optional: the first worker writes
// the printed GraphQL schema there).
import cluster from "node:cluster";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";

const env = (k, d) => {
  const v = process.env[k];
  if (v === undefined || v === "") {
    if (d === undefined) {
      console.error(`postgraphile bench server: ${k} is not set`);
      process.exit(2);
    }
    return d;
  }
  return v;
};

const PORT = Number(env("PORT"));
const HOST = "127.0.0.1";
const WORKERS = Number(env("PG_WORKERS", "2"));

if (cluster.isPrimary) {
  let listening = 0;
  let stopping = false;
  const workers = [];
  for (let i = 0; i < WORKERS; i++) workers.push(cluster.fork({ PG_WORKER_INDEX: String(i) }));
  cluster.on("listening", (w) => {
    listening++;
    if (listening === WORKERS) {
      const pids = workers.map((x) => x.process.pid);
      console.log(`postgraphile: ${WORKERS} workers listening on ${HOST}:${PORT} (primary ${process.pid}, workers ${pids.join(" ")})`);
      if (process.env.PG_READY_FILE) writeFileSync(process.env.PG_READY_FILE, pids.join("\n") + "\n");
    }
  });
  cluster.on("exit", (w, code, signal) => {
    if (!stopping) {
      console.error(`postgraphile: worker ${w.process.pid} exited (${signal || code}); stopping`);
      stop(1);
    }
  });
  const stop = (code) => {
    stopping = true;
    for (const w of workers) if (!w.isDead()) w.process.kill("SIGTERM");
    setTimeout(() => process.exit(code), 3000).unref();
    let left = workers.filter((w) => !w.isDead()).length;
    if (left === 0) process.exit(code);
    cluster.on("exit", () => {
      if (--left <= 0) process.exit(code);
    });
  };
  process.on("SIGTERM", () => stop(0));
  process.on("SIGINT", () => stop(0));
} else {
  const { postgraphile } = await import("postgraphile");
  const { grafserv } = await import("postgraphile/grafserv/node");
  const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
  const { makePgService } = await import("postgraphile/adaptors/pg");

  // The same settings for every request: those bin/catalogue's session
  // preamble sets for the bench principal (db/session.go).
  const pgSettings = Object.freeze({
    role: "catalogue_app",
    "app.all_tenants": env("PG_ALL_TENANTS", "off"),
    "app.tenant_ids": env("PG_TENANT_IDS"),
  });

  const preset = {
    extends: [PostGraphileAmberPreset],
    // Without this plugin only indexed columns can be filtered and sorted
    // on; the bench's queries filter memberships on user_deleted (which a
    // partial index covers) and sort release_artists by created_at, as
    // bin/catalogue's queries do.
    disablePlugins: ["PgIndexBehaviorsPlugin"],
    pgServices: [
      makePgService({
        connectionString: env("PG_URL"),
        schemas: ["public"],
        poolConfig: { max: Number(env("PG_POOL_MAX", "10")) },
      }),
    ],
    grafast: {
      explain: false,
      context() {
        return { pgSettings };
      },
    },
    grafserv: {
      port: PORT,
      host: HOST,
      graphqlPath: "/graphql",
      graphiql: false,
      watch: false,
    },
  };

  const pgl = postgraphile(preset);
  if (process.env.PG_SCHEMA_FILE && process.env.PG_WORKER_INDEX === "0") {
    const { printSchema } = await import("postgraphile/graphql");
    const { schema } = await pgl.getSchemaResult();
    writeFileSync(process.env.PG_SCHEMA_FILE, printSchema(schema));
  }
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  server.on("error", (e) => {
    console.error(`postgraphile: ${e.message}`);
    process.exit(1);
  });
  await serv.addTo(server);
  // Build the schema before accepting requests, so that the first
  // measured requests do not wait for introspection.
  await pgl.getSchemaResult();
  server.listen(PORT, HOST);
  const stop = () => {
    server.close();
    pgl.release().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
