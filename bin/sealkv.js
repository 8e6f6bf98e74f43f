#!/usr/bin/env node
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
