// Every natbox command, in the order `natbox --help` lists them. A command is a function that adds
// itself (name, arguments, options as data) to the program; add one line here per new command.
import type { Command } from 'commander';
import { registerTrace } from './trace.ts';
import { registerRules } from './rules.ts';
import { registerTest } from './test.ts';
import { registerDiff } from './diff.ts';
import { registerImport } from './import.ts';
import { registerVerify } from './verify.ts';
import { registerRouteGet } from './route-get.ts';
import { registerServe } from './serve.ts';
import { registerRender } from './render.ts';
import { registerCheck } from './check.ts';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerTrace,
  registerTest,
  registerCheck,
  registerDiff,
  registerRules,
  registerImport,
  registerVerify,
  registerRouteGet,
  registerServe,
  registerRender,
];
