// The configuration's public face; the parts live in src/config/: the settings table
// (settings.ts, special.ts), value parsing (values.ts), the running Config (store.ts), config
// files and flags (file.ts) and --help (help.ts).

export { GROUP_TITLES, SETTINGS, type Group, type SettingSpec } from './config/settings.js';
export { ConfigError, parseBytes } from './config/values.js';
export { Config, type ConfigListener, type SetOptions } from './config/store.js';
export { applyDirectives, commandLineText, ConfigFileError, configFromArgs, loadConfigFile, quoteWord, splitStartupArgs } from './config/file.js';
export { splitArgs } from './config/words.js';
