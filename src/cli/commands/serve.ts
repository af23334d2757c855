// `natbox serve [scenario…]`: the visualizer on a local web server (node:http). Loopback only
// unless --host says otherwise; prints the URL. Each request reads the scenarios again, so an edit
// on disk shows on reload. The page runs everything in the browser: the server only hands it out.
import type { Command } from 'commander';
import type { Io } from './render.ts';

export interface ServeOptions {
  port: string;
  host: string;
  page?: string;
}

export async function serveCommand(files: string[], opts: ServeOptions, io?: Io): Promise<number> {
  const { STDIO } = await import('./render.ts');
  const w = io ?? STDIO;
  const port = Number(opts.port);
  if (!/^\d{1,5}$/.test(opts.port) || port > 65535) {
    w.err(`natbox: --port ${opts.port}: expected a port number (0-65535; 0: any free port)\n`);
    return 2;
  }
  const { readPage, readScenarios, pageWithScenarios } = await import('./render.ts');
  const first = await readScenarios(files);
  if (!first.ok) {
    w.err(first.errors.join('\n') + '\n');
    return 2;
  }
  const page = await readPage(opts.page);
  if (!page.ok) {
    w.err(`natbox: ${page.error}\n`);
    return 3;
  }
  const { createServer } = process.getBuiltinModule('node:http');
  const { readFileSync } = process.getBuiltinModule('node:fs');
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split(/[?#]/)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/' && path !== '/index.html') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    void readScenarios(files).then((r) => {
      let html: string;
      try {
        html = readFileSync(page.path, 'utf8');
      } catch {
        html = page.html;
      }
      // A scenario that stopped loading since the start: the page shows the last good text's error.
      const scenarios = r.ok ? r.scenarios : first.scenarios;
      const body = pageWithScenarios(html, scenarios);
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; worker-src blob:; connect-src 'none'",
        'x-content-type-options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, opts.host, () => resolve());
  }).catch((e: NodeJS.ErrnoException) => {
    w.err(`natbox: cannot listen on ${opts.host}:${opts.port}: ${e.code ?? e.message}\n`);
    process.exitCode = 3;
  });
  if (process.exitCode === 3) return 3;
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  w.out(
    `natbox visualizer: http://${host}:${bound}/${files.length ? ` (${files.join(', ')})` : ''}\nPress Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'open the visualizer: a local web page that runs the scenarios in the browser (prints the URL)',
    )
    .argument('[scenario...]', 'scenario files (YAML) the page offers; without one it opens the seed')
    .option('--port <n>', 'port to listen on (0: any free port)', '8080')
    .option(
      '--host <address>',
      'address to listen on (default loopback only; 0.0.0.0 opens it to the network)',
      '127.0.0.1',
    )
    .option('--page <file>', 'the built visualizer page (default: dist/web/index.html)')
    .action(async (files: string[], opts: ServeOptions) => {
      process.exitCode = await serveCommand(files, opts);
    });
}
