// Container entry point: turns the container's conventions (secret files, SEALKV_* variables)
// into sealkv flags, then runs the server IN THIS PROCESS. No shell and no child process: node
// is the process that receives SIGTERM from `docker stop` (directly as PID 1, or forwarded by
// `docker run --init` / compose `init: true`), and flag values such as the password never show
// up in /proc/<pid>/cmdline. Extra arguments given to `docker run IMAGE ...` are appended and
// win over the ones chosen here.
//
//   /run/secrets/sealkv_master_key   exists -> --master-key-file (SEALKV_MASTER_KEY_FILE moves it)
//   SEALKV_REQUIREPASS_FILE          a file holding the password -> requirepass
//   SEALKV_MAXMEMORY                 -> --maxmemory (Redis units: 256mb, 1gb)
//   SEALKV_SPILL_DIR                 -> --spill-dir, plus --spill-max-bytes (SEALKV_SPILL_MAX_BYTES,
//                                       default: the tmpfs size minus 5% headroom) and
//                                       --spill-min-value-size when SEALKV_SPILL_MIN_VALUE_SIZE is set
//   SEALKV_BIND / SEALKV_PORT        default 0.0.0.0 / 6379 (the port is published to 127.0.0.1)
//   SEALKV_PROTECTED_MODE            default no (clients come through the bridge, not loopback)
//   SEALKV_ADMIN_PORT / _BIND        the admin HTTP port: default 9379 on 127.0.0.1 (the image's
//                                       HEALTHCHECK reads /healthz there); 0 turns it off
//   SEALKV_ADMIN_TOKEN_FILE          a file holding admin-token (needed for a non-loopback _BIND)

import { accessSync, constants, existsSync, readFileSync, statfsSync } from 'node:fs';

const env = process.env;
const fail = (message) => {
  console.error(`sealkv-entrypoint: ${message}`);
  process.exit(1);
};
const warn = (message) => console.error(`sealkv-entrypoint: warning: ${message}`);

const { Config } = await import('../dist/src/config.js');
const { main } = await import('../dist/src/main.js');
const { hashedSetting } = await import('../dist/src/acl/secret.js');

const args = ['--bind', env.SEALKV_BIND || '0.0.0.0', '--port', env.SEALKV_PORT || '6379'];
// Inside a container every client arrives through the bridge (never loopback), so protected mode
// would refuse them all; like the official Redis image it is off unless SEALKV_PROTECTED_MODE=yes.
// Exposure is decided by where the port is published (127.0.0.1 in compose.yaml) and by passwords.
args.push('--protected-mode', env.SEALKV_PROTECTED_MODE || 'no');

const keyFile = env.SEALKV_MASTER_KEY_FILE || '/run/secrets/sealkv_master_key';
if (existsSync(keyFile)) {
  try {
    accessSync(keyFile, constants.R_OK);
  } catch {
    fail(
      `master key file ${keyFile} exists but uid ${process.getuid()} cannot read it: on the host, ` +
        `chown ${process.getuid()}:${process.getgid()} the file, mode 0400 (a key file group or others can read is ` +
        `refused unless master-key-file-permissive yes is given)`,
    );
  }
  args.push('--master-key-file', keyFile);
} else if (env.SEALKV_MASTER_KEY_FILE) {
  fail(`SEALKV_MASTER_KEY_FILE=${keyFile} does not exist`);
}

if (env.SEALKV_REQUIREPASS_FILE) {
  let bytes;
  try {
    bytes = readFileSync(env.SEALKV_REQUIREPASS_FILE);
  } catch (err) {
    fail(`cannot read SEALKV_REQUIREPASS_FILE ${env.SEALKV_REQUIREPASS_FILE}: ${err.code ?? err}`);
  }
  // Only the password's digest goes on (requirepass #<sha256>): it never becomes a string.
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  args.push('--requirepass', hashedSetting(bytes.subarray(0, end)));
  bytes.fill(0);
}

// The admin port (README, Admin port): on loopback inside the container by default, so the
// HEALTHCHECK can read /healthz without a token and nothing outside reaches it unless asked.
if (Config.spec('admin-port')) {
  const adminPort = env.SEALKV_ADMIN_PORT || '9379';
  args.push('--admin-port', adminPort, '--admin-bind', env.SEALKV_ADMIN_BIND || '127.0.0.1');
  if (env.SEALKV_ADMIN_TOKEN_FILE) {
    let bytes;
    try {
      bytes = readFileSync(env.SEALKV_ADMIN_TOKEN_FILE);
    } catch (err) {
      fail(`cannot read SEALKV_ADMIN_TOKEN_FILE ${env.SEALKV_ADMIN_TOKEN_FILE}: ${err.code ?? err}`);
    }
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0a) end--;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    args.push('--admin-token', hashedSetting(bytes.subarray(0, end)));
    bytes.fill(0);
  }
} else if (env.SEALKV_ADMIN_PORT && env.SEALKV_ADMIN_PORT !== '0') {
  warn(`SEALKV_ADMIN_PORT=${env.SEALKV_ADMIN_PORT} ignored: this sealkv build has no admin port`);
}

if (env.SEALKV_MAXMEMORY) args.push('--maxmemory', env.SEALKV_MAXMEMORY);

if (env.SEALKV_SPILL_DIR) {
  const dir = env.SEALKV_SPILL_DIR;
  if (!Config.spec('spill-dir')) {
    // The spill tier is newer than this entry point; an image built before it lands still starts.
    warn(`SEALKV_SPILL_DIR=${dir} ignored: this sealkv build has no spill tier (no --spill-dir setting)`);
  } else {
    let max = env.SEALKV_SPILL_MAX_BYTES;
    if (!max) {
      let size;
      try {
        const fs = statfsSync(dir);
        size = fs.bsize * fs.blocks;
      } catch (err) {
        fail(`cannot statfs SEALKV_SPILL_DIR ${dir}: ${err.code ?? err} (mount a tmpfs there)`);
      }
      // Headroom for segment headers and compaction: the quota must trip before the tmpfs is full.
      max = String(Math.floor(size * 0.95));
    }
    args.push('--spill-dir', dir, '--spill-max-bytes', max);
    if (env.SEALKV_SPILL_MIN_VALUE_SIZE) args.push('--spill-min-value-size', env.SEALKV_SPILL_MIN_VALUE_SIZE);
  }
}

await main([...args, ...process.argv.slice(2)]);
