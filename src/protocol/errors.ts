// The one catalogue of error replies. Wording is Redis 7's, checked against redis-server 7.0;
// entries are without the leading '-' (the encoder adds it and scrubs CR/LF from user text).

import { errorArg } from '../util/names.js';

/** Redis quotes user text with %.128s; keep the same cut so long names cannot flood a reply. */
function clip(s: string, max = 128): string {
  return s.length > max ? s.slice(0, max) : s;
}

/**
 * User text Redis prints with a plain %s: whole, up to a NUL (a C string ends there). Cut at
 * 64 KiB all the same, so an argument of hundreds of MB never becomes an error string
 * (docs/compatibility.md).
 */
export const ERROR_ARG_MAX = 64 * 1024;
const whole = (arg: Uint8Array | string): string => errorArg(arg, ERROR_ARG_MAX);

export const Errors = {
  // dispatcher
  /** Byte for byte Redis's text: each quoted argument "%.*s" (cut at 128 bytes, or a NUL). */
  unknownCommand(name: Uint8Array | string, args: readonly (Uint8Array | string)[] | string, first = 0): string {
    const list = typeof args === 'string' ? [args] : args;
    let quoted = '';
    for (let i = first; i < list.length && quoted.length < 128; i++) quoted += `'${errorArg(list[i]!, 128 - quoted.length)}' `;
    return `ERR unknown command '${errorArg(name)}', with args beginning with: ${quoted}`;
  },
  wrongArity: (name: string) => `ERR wrong number of arguments for '${name}' command`,
  unknownSubcommand: (sub: Uint8Array | string, container: string) =>
    `ERR unknown subcommand '${errorArg(sub)}'. Try ${container.toUpperCase()} HELP.`,
  noAuth: 'NOAUTH Authentication required.',
  wrongPass: 'WRONGPASS invalid username-password pair or user is disabled.',
  authNotConfigured:
    'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
  noProto: 'NOPROTO unsupported protocol version',

  // values and arguments
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  unblockReason: 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  nanOrInfinity: 'ERR increment would produce NaN or Infinity',
  hashNotInteger: 'ERR hash value is not an integer',
  hashNotFloat: 'ERR hash value is not a float',
  invalidExpire: (cmd: string) => `ERR invalid expire time in '${cmd}' command`,
  noSuchKey: 'ERR no such key',
  sameObject: 'ERR source and destination objects are the same',
  dbIndexOutOfRange: 'ERR DB index is out of range',
  /** getIntFromObjectOrReply with no message of its own (MOVE's and COPY's DB). */
  valueOutOfIntRange: 'ERR value is out of range, value must between -2147483648 and 2147483647',
  invalidCursor: 'ERR invalid cursor',
  offsetOutOfRange: 'ERR offset is out of range',
  valueOutOfRange: 'ERR value is out of range',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  expireNxWithOthers: 'ERR NX and XX, GT or LT options at the same time are not compatible',
  expireGtAndLt: 'ERR GT and LT options at the same time are not compatible',
  unsupportedOption: (opt: Uint8Array | string) => `ERR Unsupported option ${whole(opt)}`,
  lfuNotSelected:
    'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',

  // transactions
  multiNested: 'ERR MULTI calls can not be nested',
  execWithoutMulti: 'ERR EXEC without MULTI',
  discardWithoutMulti: 'ERR DISCARD without MULTI',
  watchInMulti: 'ERR WATCH inside MULTI is not allowed',
  execAbort: 'EXECABORT Transaction discarded because of previous errors.',
  notAllowedInMulti: 'ERR Command not allowed inside a transaction',

  // server and connection
  noSuchClient: 'ERR No such client',
  badClientName: 'ERR Client names cannot contain spaces, newlines or special characters.',
  configSetUnknown: (name: string) => `ERR Unknown option or number of arguments for CONFIG SET - '${whole(name)}'`,
  configSetInvalid: (name: string, reason: string) =>
    `ERR CONFIG SET failed (possibly related to argument '${whole(name)}') - ${reason}`,
  maxClients: 'ERR max number of clients reached',
  debugUnsupported:
    'ERR DEBUG is not supported by sealkv: it would expose sealed values or internal state',
  /** sealkv keeps no append-only file (its persistence is sealed snapshots, SAVE/BGSAVE). */
  aofUnsupported: 'ERR BGREWRITEAOF is not supported by sealkv: it keeps no append-only file (SAVE and BGSAVE write sealed snapshots)',
  moduleNotAllowed:
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
  moduleLoadFailed: 'ERR Error loading the extension. Please check the server logs.',
  moduleUnloadMissing: 'ERR Error unloading module: no such module with that name',

  // -- strings family additions go here --
  /** DECRBY of LLONG_MIN: its negation does not fit (checked before the key is read). */
  decrementOverflow: 'ERR decrement would overflow',

  // -- keys family additions go here --
  lfuSelectedNoIdle:
    'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
  /** sealkv never tracks access frequency (its maxmemory-policy is accepted, not applied). */

  // -- hashes and transactions additions go here --
  /** HINCRBYFLOAT rejects an infinite increment before it looks at the key. */
  valueNanOrInfinity: 'ERR value is NaN or Infinity',
  /** HRANDFIELD's count (getRangeLongFromObjectOrReply with -LONG_MAX..LONG_MAX). */
  hrandfieldCountRange: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',

  // -- connection, server and introspection additions go here --
  invalidFirstDb: 'ERR invalid first DB index',
  invalidSecondDb: 'ERR invalid second DB index',
  helloNoAuth:
    'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
  helloBadProto: 'ERR Protocol version is not an integer or out of range',
  helloSyntax: (opt: string) => `ERR Syntax error in HELLO option '${whole(opt)}'`,
  clientIdNotPositive: 'ERR client-id should be greater than 0',
  unknownClientType: (type: string) => `ERR Unknown client type '${whole(type)}'`,
  invalidClientId: 'ERR Invalid client ID',
  timeoutNegative: 'ERR timeout is negative',
  timeoutNotInteger: 'ERR timeout is not an integer or out of range',
  pauseMode: 'ERR CLIENT PAUSE mode must be WRITE or ALL',
  /** Redis 7.4 CLIENT KILL MAXAGE. */
  maxAgeNotInteger: 'ERR maxage is not an integer or out of range',
  /** Redis refuses keyspace commands from a MONITOR connection (it is flagged as a replica). */
  replicaKeyspace: "ERR Replica can't interact with the keyspace",
  /** MONITOR queued in MULTI, refused at EXEC. */
  monitorInMulti: "ERR MONITOR isn't allowed for DENY BLOCKING client",
  noSuchUser: (user: string) => `ERR No such user '${whole(user)}'`,
  setinfoUnknownOption: (opt: string) => `ERR Unrecognized option '${clip(opt)}'`,
  /** Redis 7.2 wording; the attribute is echoed as the client spelled it. */
  setinfoBadValue: (attr: string) => `ERR ${clip(attr)} cannot contain spaces, newlines or special characters.`,
  configNoFile: 'ERR The server is running without a config file',
  /** sealkv reads a config file but never writes to it: secrets in it stay as the operator wrote them. */
  configRewriteFailed: (code: string) => `ERR Rewriting config file: ${clip(code)}`,
  noShutdownInProgress: 'ERR No shutdown in progress.',
  /** sealkv keeps nothing on disk, so a SHUTDOWN that demands a save cannot be honoured. */
  scriptFlushOption: 'ERR SCRIPT FLUSH only support SYNC|ASYNC option',
  functionFlushOption: 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option',
  invalidCommandSpecified: 'ERR Invalid command specified',
  invalidCommandArgs: 'ERR Invalid number of arguments specified for command',
  noKeyArguments: 'ERR The command has no key arguments',
  invalidCommandArguments: 'ERR Invalid arguments specified for command',
  subcommandSyntax: (sub: string, container: string) =>
    `ERR unknown subcommand or wrong number of arguments for '${clip(sub)}'. Try ${container.toUpperCase()} HELP.`,

  slowlogCount: 'ERR count should be greater than or equal to -1',

  // -- cluster (issue 18) --
  clusterDisabled: 'ERR This instance has cluster support disabled',
  invalidSlot: 'ERR Invalid or out of range slot',
  invalidSlotOnly: 'ERR Invalid slot',
  invalidSlotOrCount: 'ERR Invalid slot or number of keys',
  slotUnassigned: (slot: number) => `ERR Slot ${slot} is already unassigned`,
  slotBusy: (slot: number) => `ERR Slot ${slot} is already busy`,
  slotTwice: (slot: number) => `ERR Slot ${slot} specified multiple times`,
  slotRangeReversed: (first: number, last: number) => `ERR start slot number ${first} is greater than end slot number ${last}`,
  flushslotsNotEmpty: 'ERR DB must be empty to perform CLUSTER FLUSHSLOTS.',
  notSlotOwner: (slot: number) => `ERR I'm not the owner of hash slot ${slot}`,
  alreadySlotOwner: (slot: number) => `ERR I'm already the owner of hash slot ${slot}`,
  unknownNodeAbout: (id: string) => `ERR I don't know about node ${whole(id)}`,
  unknownNode: (id: string) => `ERR Unknown node ${whole(id)}`,
  slotStillHasKeys: (slot: number) => `ERR Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`,
  setslotSyntax: 'ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP',
  /** No cluster bus: the layout comes from cluster-config-file (README, Scaling out). */
  clusterBusCommand: (name: string) =>
    `ERR CLUSTER ${name.toUpperCase()} is not supported by sealkv: nodes take their layout from cluster-config-file`,
  blockFromScript: (cmd: string) => `ERR ${clip(cmd)} command is not allowed with BLOCK option from scripts`,
  crossSlot: "CROSSSLOT Keys in request don't hash to the same slot",
  tryAgain: 'TRYAGAIN Multiple keys request during rehashing of slot',
  slotNotServed: 'CLUSTERDOWN Hash slot not served',
  moved: (slot: number, endpoint: string) => `MOVED ${slot} ${endpoint}`,
  ask: (slot: number, endpoint: string) => `ASK ${slot} ${endpoint}`,
  clusterDown: 'CLUSTERDOWN The cluster is down',
  clusterDownReadOnly: 'CLUSTERDOWN The cluster is down and only accepts read commands',
  notInClusterMode: (what: string) => `ERR ${what} is not allowed in cluster mode`,

  // -- spill tier and memory (issue 4) additions go here --
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  /** sealkv: the record arena ran out of slab numbers (32 GiB); Redis would abort instead. */
  arenaFull: 'OOM command not allowed: the record arena is full (32 GiB of keys and values)',
  /** redis execCommandAbort: an EXEC refused before running discards its transaction. */
  execAbortBecause: (error: string) => `EXECABORT Transaction discarded because of: ${error}`,

  // -- security: ACL, TLS, protected mode, limits (issue 7) additions go here --
  noPermCommand: (fullName: string) => `NOPERM this user has no permissions to run the '${clip(fullName)}' command`,
  noPermKey: 'NOPERM this user has no permissions to access one of the keys used as arguments',
  /** redis execCommand: a queued command the user's rules no longer allow, one element of EXEC's array. */
  noPermAtExec: (reason: 'command' | 'key' | 'channel') =>
    'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. ' +
    'This command is no longer allowed for the following reason: ' +
    (reason === 'key'
      ? 'no permission to touch the specified keys'
      : reason === 'channel'
        ? 'no permission to access one of the channels used as arguments'
        : 'no permission to execute the command or subcommand'),
  aclSetuser: (rule: string, reason: string) => `ERR Error in ACL SETUSER modifier '${clip(rule)}': ${reason}`,
  aclUnmatchedParenthesis: (rule: string) => `ERR Unmatched parenthesis in acl selector starting at '${clip(rule)}'.`,
  aclDeleteDefault: "ERR The 'default' user cannot be removed",
  aclUsernameSpaces: "ERR Usernames can't contain spaces or null characters",
  aclUserNotFound: (user: Uint8Array | string) => `ERR User '${whole(user)}' not found`,
  aclCommandNotFound: (name: Uint8Array | string) => `ERR Command '${whole(name)}' not found`,
  aclUnknownCategory: (cat: Uint8Array | string) => `ERR Unknown category '${errorArg(cat)}'`,
  aclGenpassBits: 'ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096',
  aclNoFile:
    'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.',
  aclSaveFailed: 'ERR There was an error trying to save the ACLs. Please check the server logs for more information',
  /** Redis 7.0 networking.c, sent to non-loopback clients before closing them. */
  protectedMode:
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.",

  // -- bitmaps, HyperLogLog and LCS additions go here --
  bitOffset: 'ERR bit offset is not an integer or out of range',
  bitValue: 'ERR bit is not an integer or out of range',
  bitposBit: 'ERR The bit argument must be 1 or 0.',
  bitopNotOneKey: 'ERR BITOP NOT must be called with a single source key.',
  bitfieldType: 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
  bitfieldOverflow: 'ERR Invalid OVERFLOW type specified',
  bitfieldReadOnly: 'ERR BITFIELD_RO only supports the GET subcommand',
  hllWrongType: 'WRONGTYPE Key is not a valid HyperLogLog string value.',
  hllCorrupt: 'INVALIDOBJ Corrupted HLL object detected',
  pfdebugNoKey: 'ERR The specified key does not exist',
  pfdebugNotSparse: 'ERR HLL encoding is not sparse',
  pfdebugUnknown: (sub: Uint8Array | string) => `ERR Unknown PFDEBUG subcommand '${whole(sub)}'`,
  lcsNotStrings: 'ERR The specified keys must contain string values',
  lcsLenAndIdx: 'ERR If you want both the length and indexes, please just use IDX.',
  lcsTooBig: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
  lcsAllocFailed: 'ERR Insufficient memory, failed allocating transient memory for LCS',

  // sealing
  sealOpenFailed: 'ERR sealed value failed authentication; the stored copy is corrupt or was tampered with',
  /** SEAL ROTATE while one runs (Redis words BGSAVE's the same way). */
  rotationInProgress: 'ERR Key rotation already in progress',

  // protocol (the connection closes after these)
  protoInvalidMultibulk: 'ERR Protocol error: invalid multibulk length',
  protoInvalidBulk: 'ERR Protocol error: invalid bulk length',
  protoExpectedDollar: (got: string) => `ERR Protocol error: expected '$', got '${got}'`,
  protoUnbalancedQuotes: 'ERR Protocol error: unbalanced quotes in request',
  protoTooBigInline: 'ERR Protocol error: too big inline request',
  protoTooBigMbulkCount: 'ERR Protocol error: too big mbulk count string',
  protoTooBigBulkCount: 'ERR Protocol error: too big bulk count string',
  protoUnauthMultibulk: 'ERR Protocol error: unauthenticated multibulk length',
  protoUnauthBulk: 'ERR Protocol error: unauthenticated bulk length',
  /** sealkv: key and field names are strings, which V8 caps at 2^29 - 24 chars (Redis has no such cap). */
  nameTooLong: 'ERR name too long: sealkv keeps key and field names of at most 536870888 bytes',

  // -- pub/sub (issue 17) --
  /** redis processCommand: RESP2 subscribed mode. */
  subscribedModeOnly: (fullName: string) =>
    `ERR Can't execute '${clip(fullName)}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  /** redis ssubscribeCommand (and SUBSCRIBE/PSUBSCRIBE from a script): a client that expects one reply per command. */
  denyBlockingSubscribe: (command: string) => `ERR ${command} isn't allowed for a DENY BLOCKING client`,
  noPermChannel: 'NOPERM this user has no permissions to access one of the channels used as arguments',
  // streams (t_stream.c)
  invalidStreamId: 'ERR Invalid stream ID specified as stream command argument',
  invalidStartInterval: 'ERR invalid start ID for the interval',
  invalidEndInterval: 'ERR invalid end ID for the interval',
  xaddIdTooSmall: 'ERR The ID specified in XADD is equal or smaller than the target stream top item',
  xaddIdZero: 'ERR The ID specified in XADD must be greater than 0-0',
  streamExhausted: 'ERR The stream has exhausted the last possible ID, unable to add more items',
  streamMaxlenAndMinid: 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible',
  streamMaxlenNegative: 'ERR The MAXLEN argument must be >= 0.',
  streamLimitNegative: 'ERR The LIMIT argument must be >= 0.',
  streamLimitWithoutStrategy: 'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy',
  xtrimWithoutStrategy: 'ERR syntax error, XTRIM must be called with a trimming strategy',
  streamLimitWithoutApprox: 'ERR syntax error, LIMIT cannot be used without the special ~ option',
  xreadUnbalanced: "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
  xreadGroupOption: 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.',
  xreadNoackOption: 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.',
  xreadgroupMissingGroup: 'ERR Missing GROUP option for XREADGROUP',
  xreadgroupDollar:
    'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
  xreadGreaterThan: 'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.',
  noGroupRead: (key: string, group: string) => `NOGROUP No such key '${key}' or consumer group '${group}' in XREADGROUP with GROUP option`,
  noGroupKey: (key: string, group: string) => `NOGROUP No such key '${key}' or consumer group '${group}'`,
  noGroupFor: (group: string, key: string) => `NOGROUP No such consumer group '${group}' for key name '${key}'`,
  busyGroup: 'BUSYGROUP Consumer Group name already exists',
  xgroupNeedsKey:
    'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
  entriesReadRange: 'ERR value for ENTRIESREAD must be positive or -1',
  entriesAddedNegative: 'ERR entries_added must be positive',
  xsetidBelowMaxDeleted: 'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id',
  xsetidBelowTop: 'ERR The ID specified in XSETID is smaller than the target stream top item',
  xsetidAddedBelowLength: 'ERR The entries_added specified in XSETID is smaller than the target stream length',
  xclaimMinIdle: 'ERR Invalid min-idle-time argument for XCLAIM',
  xclaimOption: (opt: string) => `ERR Unrecognized XCLAIM option '${opt}'`,
  xclaimIdle: 'ERR Invalid IDLE option argument for XCLAIM',
  xclaimTime: 'ERR Invalid TIME option argument for XCLAIM',
  xclaimRetryCount: 'ERR Invalid RETRYCOUNT option argument for XCLAIM',
  xautoclaimMinIdle: 'ERR Invalid min-idle-time argument for XAUTOCLAIM',
  xautoclaimCount: 'ERR COUNT must be > 0',
  /** What Redis 7.0 answers when ms-* meets a full sequence (errno left over from the trim check). */
  streamElementsTooLarge: 'ERR Elements are too large to be stored',
  streamKeyGone: 'UNBLOCKED the stream key no longer exists',
  unblockedRoleChange: 'UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)',
  blockedGroupGone: 'NOGROUP the consumer group this client was blocked on no longer exists',
  // sets (t_set.c; the same texts serve other families' counts and numkeys)
  valueMustBePositive: 'ERR value is out of range, must be positive',
  valueOutOfLongRange: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
  numkeysNotPositive: 'ERR numkeys should be greater than 0',
  numkeysOverArgs: "ERR Number of keys can't be greater than number of args",
  limitNegative: "ERR LIMIT can't be negative",
  // lists (redis t_list.c)
  mustBePositive: 'ERR value is out of range, must be positive',
  indexOutOfRange: 'ERR index out of range',
  lposRankZero:
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  lposCountNegative: "ERR COUNT can't be negative",
  lposMaxlenNegative: "ERR MAXLEN can't be negative",
  // -- sorted sets additions go here --
  zsetMinMaxNotFloat: 'ERR min or max is not a float',
  zsetLexRange: 'ERR min or max not valid string range item',
  zsetNaN: 'ERR resulting score is not a number (NaN)',
  zsetXxAndNx: 'ERR XX and NX options at the same time are not compatible',
  zsetGtLtNx: 'ERR GT, LT, and/or NX options at the same time are not compatible',
  zsetIncrPair: 'ERR INCR option supports a single increment-element pair',
  zsetLimitNeedsBy: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
  zsetWithscoresBylex: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX',
  zsetNeedsKey: (cmd: string) => `ERR at least 1 input key is needed for '${cmd}' command`,
  zsetWeightNotFloat: 'ERR weight value is not a float',
  zsetLimitNegative: "ERR LIMIT can't be negative",
  numkeysPositive: 'ERR numkeys should be greater than 0',
  countPositive: 'ERR count should be greater than 0',
  // scripting and functions (redis eval.c, script.c, script_lua.c, function_lua.c, functions.c)
  noScript: 'NOSCRIPT No matching script. Please use EVAL.',
  numkeysTooBig: "ERR Number of keys can't be greater than number of args",
  numkeysNegative: "ERR Number of keys can't be negative",
  scriptCompile: (msg: string) => `ERR Error compiling script (new function): ${whole(msg)}`,
  scriptUnknownCommand: 'ERR Unknown Redis command called from script',
  scriptWrongArity: 'ERR Wrong number of args calling Redis command from script',
  scriptNoscriptCommand: 'ERR This Redis command is not allowed from script',
  scriptAclDenied: (reason: string) =>
    `ERR The user executing the script ${reason === 'key' ? "can't access at least one of the keys mentioned in the command arguments" : "can't run this command or subcommand"}`,
  scriptWriteInReadOnly: 'ERR Write commands are not allowed from read-only scripts.',
  scriptWriteFlagOnRo: 'ERR Can not execute a script with write flag using *_ro command.',
  scriptAclCheckInvalid: 'ERR Invalid command passed to redis.acl_check_cmd()',
  /** sealkv: a script cannot wait for a spilled value to be read back mid-script; keys named in KEYS are read back before it starts. */
  scriptSpilledKey: 'ERR sealkv: the script touched a spilled key it did not declare in KEYS',
  /** What a script stopped by SCRIPT KILL / FUNCTION KILL raises (redis luaMaskCountHook). */
  scriptKilled: 'ERR Script killed by user with SCRIPT KILL...',
  scriptDebugMode: 'ERR Use SCRIPT DEBUG YES/SYNC/NO',
  /** sealkv has no Lua debugger (Redis's LDB); SCRIPT DEBUG NO, the default, is accepted. */
  scriptDebugUnsupported: 'ERR SCRIPT DEBUG YES and SYNC are not supported by sealkv: it has no Lua debugger (SCRIPT DEBUG NO is accepted)',
  notBusy: 'NOTBUSY No scripts in execution right now.',
  shebangInvalid: 'ERR Invalid script shebang',
  shebangEngineInvalid: 'ERR Invalid engine in script shebang',
  shebangEngine: (engine: string) => `ERR Unexpected engine in script shebang: ${whole(engine)}`,
  shebangFlag: (flag: string) => `ERR Unexpected flag in script shebang: ${whole(flag)}`,
  shebangOption: (option: string) => `ERR Unknown lua shebang option: ${whole(option)}`,
  /** FUNCTION and FCALL errors (functions.c, function_lua.c): Redis words them as ERR plus the text. */
  functionMetadata: (text: string) => `ERR ${whole(text)}`,
  // DUMP / RESTORE (src/commands/cluster/dump.ts)
  busyKey: 'BUSYKEY Target key name already exists.',
  invalidTtl: 'ERR Invalid TTL value, must be >= 0',
  invalidIdletime: 'ERR Invalid IDLETIME value, must be >= 0',
  invalidFreq: 'ERR Invalid FREQ value, must be >= 0 and <= 255',
  dumpPayload: 'ERR DUMP payload version or checksum are wrong',
  functionRestorePolicy: 'ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.',
  badDataFormat: 'ERR Bad data format',
  // MIGRATE (src/commands/cluster/migrate.ts)
  migrateKeysNeedEmptyKey: 'ERR When using MIGRATE KEYS option, the key argument must be set to the empty string',
  migrateConnect: 'IOERR error or timeout connecting to the client',
  migrateRead: 'IOERR error or timeout reading to target instance',
  migrateTarget: (reply: string) => `ERR Target instance replied with error: ${reply}`,
  // CLIENT TRACKING / CACHING (src/commands/connection/client-tracking.ts; networking.c, tracking.c)
  trackingOneRedirect: 'ERR A client can only redirect to a single other client',
  trackingNoRedirectClient: 'ERR The client ID you want redirect to does not exist',
  trackingPrefixNeedsBcast: 'ERR PREFIX option requires BCAST mode to be enabled',
  trackingBcastSwitch:
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
  trackingOptBcast: 'ERR OPTIN and OPTOUT are not compatible with BCAST',
  trackingOptBoth: "ERR You can't specify both OPTIN mode and OPTOUT mode",
  trackingOptSwitch:
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
  /** Redis prints the prefixes with %s: whole, up to a NUL byte. */
  trackingPrefixOverlapsExisting: (prefix: Uint8Array, existing: Uint8Array) =>
    `ERR Prefix '${errorArg(prefix, Infinity)}' overlaps with an existing prefix '${errorArg(existing, Infinity)}'. Prefixes for a single client must not overlap.`,
  trackingPrefixOverlapsProvided: (prefix: Uint8Array, other: Uint8Array) =>
    `ERR Prefix '${errorArg(prefix, Infinity)}' overlaps with another provided prefix '${errorArg(other, Infinity)}'. Prefixes for a single client must not overlap.`,
  cachingNotTracking: 'ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled',
  cachingYesNeedsOptin: 'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.',
  cachingNoNeedsOptout: 'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.',
  // Replication (src/commands/replication/replication.ts, src/replication/)
  replicaofInCluster: 'ERR REPLICAOF not allowed in cluster mode.',
  replicaofFromReplica: 'ERR Command is not valid when client is a replica.',
  invalidMasterPort: 'ERR Invalid master port',
  waitOnReplica: 'ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
  cantSyncNotConnected: "NOMASTERLINK Can't SYNC while not connected with my master",
  replconfUnknownOption: (opt: string) => `ERR Unrecognized REPLCONF option: ${whole(opt)}`,
  rdbFilterUnsupported: (filter: string) => `ERR Unsupported rdb-filter-only option: ${whole(filter)}`,
  readonlyReplica: "READONLY You can't write against a read only replica.",
  noReplicas: 'NOREPLICAS Not enough good replicas to write.',
  /** sealkv's own: a replica must prove it holds the same master key before PSYNC. */
  replicaNoKeyCheck: 'ERR this sealkv node replicates only to sealkv replicas that hold its master key (no REPLCONF sealkv-key before PSYNC)',
  publishLinkUnproven: "ERR PUBLISH links are for nodes of this cluster that proved its master key (REPLCONF sealkv-key)",
  publishLinkRefused: 'ERR refused a forwarded PUBLISH frame: not sealed for this link, or replayed',
  replicaKeyNoChallenge: 'ERR REPLCONF sealkv-key answers a challenge: send REPLCONF sealkv-challenge key first',
  replicaKeyDiffers: "ERR master key mismatch: the replica's master key differs from this node's, refusing to replicate",
  // SAVE / BGSAVE / SHUTDOWN (src/commands/server/persistence.ts)
  bgsaveInProgress: 'ERR Background save already in progress',
  misconf:
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
  shutdownFailed: 'ERR Errors trying to SHUTDOWN. Check logs.',
  /** sealkv: why a snapshot could not be written (Redis answers a bare "ERR" and logs the reason). */
  snapshotFailed: (reason: string) => `ERR ${clip(reason, 512)}`,
  // A script past busy-reply-threshold (src/commands/scripting/script-busy.ts; redis shared.slowevalerr, slowscripterr, script.c scriptKill)
  busyEval: 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
  busyFunction: 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.',
  unkillable:
    'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.',
  masterDown: "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
  /** redis.call of a command without the `stale` flag from an allow-stale script on a stale replica. */
  scriptStaleReplica: 'ERR Can not execute the command on a stale replica',
  failoverNotInProgress: 'ERR No failover in progress.',
  failoverTimeoutPositive: 'ERR FAILOVER timeout must be greater than 0',
  failoverInProgress: 'ERR FAILOVER already in progress.',
  failoverOnReplica: 'ERR FAILOVER is not valid when server is a replica.',
  failoverNoReplicas: 'ERR FAILOVER requires connected replicas.',
  failoverForceNeedsTarget: 'ERR FAILOVER with force option requires both a timeout and target HOST and IP.',
  failoverNotAReplica: 'ERR FAILOVER target HOST and PORT is not a replica.',
  failoverTargetOffline: 'ERR FAILOVER target replica is not online.',
  failoverInCluster: 'ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.',
  replicaofWhileFailingOver: 'ERR REPLICAOF not allowed while failing over.',
  psyncFailoverToMaster: "ERR PSYNC FAILOVER can't be sent to a master.",
  psyncFailoverReplid: 'ERR PSYNC FAILOVER replid must match my replid.',
  cantSyncFailingOver: "NOMASTERLINK Can't SYNC while failing over",
  loading: 'LOADING Redis is loading the dataset in memory',
} as const;
