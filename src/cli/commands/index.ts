// Owns the list of `pathhelm` subcommands, in the order `--help` shows them.
//
// Example: for (const register of COMMANDS) register(program);
import type { Command } from 'commander';
import { register as serve } from './serve.js';
import { register as backend } from './backend.js';
import { register as config } from './config.js';
import { register as keys } from './keys.js';
import { register as dataset } from './dataset.js';
import { register as train } from './train.js';
import { register as score } from './score.js';
import { register as top } from './top.js';
import { register as report } from './report.js';
import { register as trace } from './trace.js';
import { register as bans } from './bans.js';
import { register as simulate } from './simulate.js';

export type Register = (program: Command) => void;

export const COMMANDS: Register[] = [serve, backend, config, keys, dataset, train, score, top, report, trace, bans, simulate];
