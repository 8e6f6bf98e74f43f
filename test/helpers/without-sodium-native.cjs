// Preloaded with `node --require` to start sealkv as on a machine where the optional
// sodium-native package does not load (no prebuild for the platform, or not installed).
const Module = require('node:module');

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'sodium-native') throw new Error("Cannot find module 'sodium-native'");
  return load.call(this, request, ...rest);
};
