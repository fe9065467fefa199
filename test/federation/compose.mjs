// Composes subgraph schemas into a supergraph with Apollo's composition
// library, the one a BFF's router (rover supergraph compose, GraphOS) runs,
// and fails on any composition error and on every hint not accepted below.
//
//   node compose.mjs [--supergraph out.graphql] catalogue.graphql reviews.graphql ...
//
// Each file is one subgraph, named after the file. internal/api's
// TestSupergraphComposes writes the catalogue's SDL, as the server answers
// Query._service.sdl, to a file and runs this with reviews.graphql.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'graphql';
import { composeServices } from '@apollo/composition';

// Hints are composition's warnings. None is expected of these subgraphs; a
// hint that is harmless for a reason belongs here, with the reason.
const acceptedHints = new Map([
  // ['HINT_CODE', 'why it does no harm'],
]);

function usage(msg) {
  console.error(`compose.mjs: ${msg}\nusage: node compose.mjs [--supergraph out.graphql] subgraph.graphql...`);
  process.exit(2);
}

const args = process.argv.slice(2);
let out;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--supergraph') {
    out = args[++i] ?? usage('--supergraph needs a file');
  } else {
    files.push(args[i]);
  }
}
if (files.length < 2) usage('give at least two subgraphs');

const services = files.map((file) => {
  const name = basename(file, extname(file));
  let typeDefs;
  try {
    typeDefs = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`${name}: ${err.message}`);
    process.exit(1);
  }
  // The URL is where a router would send the subgraph's fetches; nothing
  // is fetched here.
  return { name, typeDefs, url: `http://${name}.invalid/graphql` };
});

const result = composeServices(services);
let failed = false;
for (const err of result.errors ?? []) {
  console.error(`error ${err.extensions?.code ?? ''}: ${err.message}`);
  failed = true;
}
for (const hint of result.hints ?? []) {
  const code = hint.definition.code;
  if (acceptedHints.has(code)) {
    console.log(`hint ${code} (accepted: ${acceptedHints.get(code)}): ${hint.message}`);
    continue;
  }
  console.error(`hint ${code}: ${hint.message}`);
  failed = true;
}
if (failed) {
  console.error(`composition of ${services.map((s) => s.name).join(', ')} failed`);
  process.exit(1);
}
if (out) writeFileSync(out, result.supergraphSdl);
console.log(`composed ${services.map((s) => s.name).join(', ')} into a supergraph`);
