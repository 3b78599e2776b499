#!/usr/bin/env node
'use strict';
// Used by CMakeLists.txt at `colcon build`: prints, one per line, the top-level packages under node_modules/ that
// the installed nodes need at run time (package-lock.json entries not marked dev), so that the install holds
// neither the compiler, linters and test tools (≈60 MB) nor anything npm did not install (a failed optional).
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
const out = [];
for (const [key, entry] of Object.entries(lock.packages || {})) {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
  if (!m || entry.dev === true) continue;
  if (fs.existsSync(path.join(root, key, 'package.json'))) out.push(m[1]);
}
process.stdout.write(out.sort().join('\n') + '\n');
