#!/usr/bin/env -S node --max-semi-space-size=4
// --max-semi-space-size=4: V8's young generation at 4 MB semi-spaces instead of 16. The default
// lets a fill grow it to 32 MB that stay resident (20-35 B of RSS per element of 200 k small
// keys); 1-2 MB promote short-lived objects too soon (a 1 M sorted set grew). Costs ~0.25 us of
// GC per request (bench/results/memory.md). `npm start` passes it too; `node bin/sealkv.js` does not.
// Thin launcher: the compiled server lives in dist/ (built by `npm run build`). The one-file
// bundle (scripts/bundle.mjs) starts in about half the time; it is used only when it is at least
// as new as the module tree, so a tree recompiled without bundling is never shadowed by an old bundle.
import { statSync } from 'node:fs';

const tree = new URL('../dist/src/main.js', import.meta.url);
const bundle = new URL('../dist/sealkv.mjs', import.meta.url);
const mtime = (url) => {
  try {
    return statSync(url).mtimeMs;
  } catch {
    return -1;
  }
};
const entry = mtime(bundle) >= mtime(tree) && mtime(tree) >= 0 ? bundle : tree;
import(entry.href).then((m) => m.main(process.argv.slice(2)));
