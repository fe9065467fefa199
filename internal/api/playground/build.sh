#!/usr/bin/env bash
# Rebuilds vendor/, the third-party files of the playground page: the
# browser builds (UMD, no bundler needed) of GraphiQL, its explorer plugin
# and React, copied from the npm packages pinned in package-lock.json
# (npm ci checks each package's integrity), and LICENSES.txt, the licences
# of everything those files contain. The server embeds vendor/, so the
# page loads nothing from outside it.
#
# Needs Node.js, npm and the npm registry; run it from anywhere. To move to
# other versions: edit package.json, run `npm install --package-lock-only
# --ignore-scripts` here, then this script, and commit all three.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
nm="$work/node_modules"

out="$here/vendor"
rm -rf "$out"
mkdir -p "$out"

# copy SRC DEST: the file without its sourceMappingURL comment, since the
# source maps are not shipped.
copy() {
	sed -e '/^\/\/# sourceMappingURL=/d' -e 's#/\*\# sourceMappingURL=[^*]*\*/##' "$1" >"$2"
}
copy "$nm/react/umd/react.production.min.js" "$out/react.production.min.js"
copy "$nm/react-dom/umd/react-dom.production.min.js" "$out/react-dom.production.min.js"
copy "$nm/graphiql/graphiql.min.js" "$out/graphiql.min.js"
copy "$nm/graphiql/graphiql.min.css" "$out/graphiql.min.css"
copy "$nm/@graphiql/plugin-explorer/dist/index.umd.js" "$out/plugin-explorer.umd.js"
copy "$nm/@graphiql/plugin-explorer/dist/style.css" "$out/plugin-explorer.css"

# LICENSES.txt: the licence of every package whose code is in the files
# above. graphiql.min.js bundles many; its source map names them.
node - "$nm" >"$out/LICENSES.txt" <<'EOF'
const fs = require('fs');
const path = require('path');
const nm = process.argv[2];

const version = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
const shipped = ['react', 'react-dom', 'graphiql', '@graphiql/plugin-explorer'];
const lines = [
  'Third-party software in this folder',
  '',
  'react.production.min.js      react ' + version(path.join(nm, 'react')),
  'react-dom.production.min.js  react-dom ' + version(path.join(nm, 'react-dom')),
  'graphiql.min.js, .css        graphiql ' + version(path.join(nm, 'graphiql')) + ' and the packages it bundles (below)',
  'plugin-explorer.umd.js, .css @graphiql/plugin-explorer ' + version(path.join(nm, '@graphiql/plugin-explorer')) + ', which bundles graphiql-explorer',
  '',
  'The @graphiql/* packages, codemirror-graphql and graphql-language-service',
  'come from the GraphiQL repository and are under its licence (graphiql, below).',
  'Each licence text is the one of the package as npm installs it with the',
  'versions pinned in package-lock.json.',
  '',
];

// Package names from the paths of the bundle's sources.
const names = new Set(shipped.concat(['graphiql-explorer']));
const map = JSON.parse(fs.readFileSync(path.join(nm, 'graphiql/graphiql.min.js.map'), 'utf8'));
for (const source of map.sources) {
  const i = source.lastIndexOf('node_modules/');
  if (i < 0) continue;
  const parts = source.slice(i + 'node_modules/'.length).split('/');
  names.add(parts[0].startsWith('@') ? parts[0] + '/' + parts[1] : parts[0]);
}

// Where npm put each package: at the top or nested under another.
const found = new Map();
(function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      walk(full);
      continue;
    }
    const name = path.basename(dir).startsWith('@') ? path.basename(dir) + '/' + entry.name : entry.name;
    if (!found.has(name) && fs.existsSync(path.join(full, 'package.json'))) found.set(name, full);
    const nested = path.join(full, 'node_modules');
    if (fs.existsSync(nested)) walk(nested);
  }
})(nm);

for (const name of [...names].sort()) {
  lines.push('='.repeat(78));
  const dir = found.get(name);
  if (!dir) {
    lines.push(name, '', 'Not in this install (the bundle was built with another version of its', 'dependents); see the licence published with the package.', '');
    continue;
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const licence = typeof pkg.license === 'string' ? pkg.license : (pkg.license && pkg.license.type) || 'see the package';
  lines.push(`${name} ${pkg.version} (${licence})`, '');
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  if (file) {
    lines.push(fs.readFileSync(path.join(dir, file), 'utf8').trim(), '');
  } else {
    const author = typeof pkg.author === 'string' ? pkg.author : (pkg.author && pkg.author.name) || '';
    lines.push(`The package has no licence file; its package.json says ${licence}` + (author ? `, author ${author}.` : '.'), '');
  }
}
process.stdout.write(lines.join('\n'));
EOF

ls -l "$out"
