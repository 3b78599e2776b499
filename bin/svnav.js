#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm ci`).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error(`svnav: ${entry} is missing; run \`npm run build\` in ${path.join(__dirname, '..')} first.`);
  process.exit(2);
}
require(entry)
  .main(process.argv)
  .catch((err) => {
    // main() reports its own errors; this is only for one that escaped it: "failed while running".
    console.error(`svnav: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(3);
  });
