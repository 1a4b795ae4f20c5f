// Serves the built UI (ui/dist) on 127.0.0.1 for headless Chromium runs: the frame-time benchmark
// (bench/frame-times.mjs) and the accessibility audit (a11y/audit.mjs).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Serves `root` on 127.0.0.1 (any free port); unknown paths get index.html, like the app's webview. */
export async function serve(root) {
  const server = createServer((req, res) => {
    void (async () => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      let file = join(root, path);
      if (!file.startsWith(root + sep) && file !== root) file = join(root, 'index.html');
      try {
        if (!(await stat(file)).isFile()) file = join(root, 'index.html');
      } catch {
        file = join(root, 'index.html');
      }
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    })().catch((error) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { server, url: `http://127.0.0.1:${port}/` };
}
