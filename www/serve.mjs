#!/usr/bin/env node
// A dependency-free, read-only static file server for the demo page (www/).
//
//   node www/serve.mjs [--port 8788] [--host 127.0.0.1]
//
// Serves the repository root (the page imports ../npm/dist/web.mjs and fetches ../demo/...),
// redirects `/` to `/www/`, answers GET and HEAD only, and never serves a file outside the root
// (`..` segments are refused, symlinks are resolved and checked). Tests import
// `startStaticServer({ root, port, host })`; port 0 picks a free port.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

function send(res, status, text, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
  res.end(text);
}

/** Whether `file` is `root` or below it. */
function isInside(root, file) {
  return file === root || file.startsWith(root + path.sep);
}

/**
 * The file a URL path names under `root`, or an HTTP error: 400 for `..` or NUL, 404 when
 * missing or outside the root (after following symlinks), a redirect for a directory without `/`.
 */
async function resolveFile(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { status: 400, message: 'bad URL encoding' };
  }
  const segments = decoded.split('/');
  if (decoded.includes('\0') || decoded.includes('\\') || segments.includes('..')) {
    return { status: 400, message: 'path not allowed' };
  }
  // Hidden files and folders (.git, .wrangler's local state, .env files) are never served.
  if (segments.some((s) => s.startsWith('.'))) return { status: 404, message: 'not found' };
  let file = path.join(root, ...segments);
  let info;
  try {
    file = await realpath(file);
    if (!isInside(root, file)) return { status: 404, message: 'not found' };
    info = await stat(file);
    if (info.isDirectory()) {
      if (!decoded.endsWith('/')) return { redirect: `${urlPath}/` };
      file = await realpath(path.join(file, 'index.html'));
      if (!isInside(root, file)) return { status: 404, message: 'not found' };
      info = await stat(file);
    }
  } catch {
    return { status: 404, message: 'not found' };
  }
  if (!info.isFile()) return { status: 404, message: 'not found' };
  return { file, size: info.size };
}

/**
 * Starts the server. Resolves to `{ url, port, close() }`; `url` ends with `/` and `url + 'www/'`
 * is the page.
 */
export async function startStaticServer({ root = REPO_ROOT, port = 8788, host = '127.0.0.1' } = {}) {
  const base = await realpath(path.resolve(root));
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'method not allowed: this server is read-only', { allow: 'GET, HEAD' });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/') {
        res.writeHead(302, { location: '/www/' });
        res.end();
        return;
      }
      const found = await resolveFile(base, url.pathname);
      if (found.redirect) {
        res.writeHead(301, { location: found.redirect + url.search });
        res.end();
        return;
      }
      if (found.status) {
        send(res, found.status, `${found.status} ${found.message}: ${url.pathname}`);
        return;
      }
      res.writeHead(200, {
        'content-type': TYPES[path.extname(found.file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': found.size,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(found.file)
        .on('error', () => res.destroy())
        .pipe(res);
    } catch (e) {
      if (!res.headersSent) send(res, 500, `500 ${e instanceof Error ? e.message : String(e)}`);
      else res.destroy();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}/`,
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

function option(argv, name, fallback) {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: node www/serve.mjs [--port 8788] [--host 127.0.0.1]');
    return;
  }
  const port = Number(option(argv, '--port', '8788'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number (0-65535)');
  const host = option(argv, '--host', '127.0.0.1');
  let server;
  try {
    server = await startStaticServer({ port, host });
  } catch (e) {
    if (e && e.code === 'EADDRINUSE') throw new Error(`port ${port} is in use: pass another one with --port`);
    throw e;
  }
  console.log(`split-edge demo page: ${server.url}www/  (serving ${REPO_ROOT} read-only; Ctrl-C stops it)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`www/serve.mjs: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
