#!/usr/bin/env node
// Thin launcher: the compiled entry point lives in dist/ (built by `npm run build`).
import('../dist/src/main.js').then((m) => m.main(process.argv.slice(2)));
