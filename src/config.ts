// The configuration's public face; the parts live in src/config/ (settings table, values,
// the running Config, config files and flags).

export { SETTINGS, type SettingSpec } from './config/settings.js';
export { ConfigError, normalizeOutputLimits, parseBytes } from './config/values.js';
export { Config, type ConfigListener } from './config/store.js';
export { configFileArg, parseArgs, readConfigFile } from './config/file.js';
