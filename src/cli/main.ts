#!/usr/bin/env node
// The natbox command, started plainly (`node dist/cli/main.js …`). Each command declares its options
// in commands/*.ts and loads its working modules only when it runs, so start-up stays close to a
// bare `node`; bin/natbox starts from a V8 startup snapshot instead when one was built (snapshot.ts).
import { runCli } from './program.ts';

await runCli(process.argv);
