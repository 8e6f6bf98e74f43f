import type { CommandSpec } from './types.js';

export const hashCommands: CommandSpec[] = [];
