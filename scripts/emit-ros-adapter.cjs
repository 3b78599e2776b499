#!/usr/bin/env node
'use strict';
// `postbuild`: emits src/transport/ros/rclnodejs-*.ts into dist/. The main build excludes them because their
// types come from rclnodejs, which is only installed where ROS 2 is sourced; they are type-checked by
// `npm run typecheck:ros` (tsconfig.ros.json) and transpiled here file by file, so dist/ always holds the
// adapter that `svnav node …` loads on a robot.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const root = path.join(__dirname, '..');
const srcDir = path.join(root, 'src', 'transport', 'ros');
const outDir = path.join(root, 'dist', 'src', 'transport', 'ros');
const adapters = fs.readdirSync(srcDir).filter((f) => /^rclnodejs-.*\.ts$/.test(f) && !f.endsWith('.d.ts'));
fs.mkdirSync(outDir, { recursive: true });
for (const file of adapters) {
  const source = fs.readFileSync(path.join(srcDir, file), 'utf8');
  const out = file.replace(/\.ts$/, '.js');
  const result = ts.transpileModule(source, {
    fileName: file,
    reportDiagnostics: true,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      sourceMap: true,
      sourceRoot: path.relative(outDir, srcDir),
    },
  });
  const errors = (result.diagnostics || []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    console.error(
      ts.formatDiagnostics(errors, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => '\n',
      }),
    );
    process.exit(1);
  }
  fs.writeFileSync(
    path.join(outDir, out),
    result.outputText.replace(/\/\/# sourceMappingURL=.*$/m, `//# sourceMappingURL=${out}.map`),
  );
  fs.writeFileSync(path.join(outDir, `${out}.map`), result.sourceMapText);
}
console.log(`emit-ros-adapter: ${adapters.join(', ')} → dist/src/transport/ros/`);
