// A small host server for the integration tests: serves folders (a built Sphinx site, an mdBook, a reveal.js
// deck) on 127.0.0.1 at a free port, and passes any …/hmmviz/… through to the app under test (HMMVIZ_URL), so a
// host page finds hmmviz at hmmviz/ next to it, as docs/embedding.md tells authors to put it. Loopback only.
import http from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.woff2': 'font/woff2', '.woff': 'font/woff', '.png': 'image/png' };

/** Serve `mounts` ({ '/deck/': '/abs/dir' }) and /hmmviz/ → HMMVIZ_URL; returns { url, close }. */
export async function startHost(mounts) {
  const app = new URL(process.env.HMMVIZ_URL);
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://host');
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      const at = url.pathname.indexOf('/hmmviz/');
      if (at >= 0) {
        const upstream = await fetch(new URL(url.pathname.slice(at + '/hmmviz/'.length) + url.search, app));
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
        return;
      }
      for (const [prefix, dir] of Object.entries(mounts)) {
        if (!url.pathname.startsWith(prefix)) continue;
        let file = path.join(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
        if (!file.startsWith(dir)) break;
        if ((await stat(file).catch(() => null))?.isDirectory()) file = path.join(file, 'index.html');
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
        res.end(body);
        return;
      }
      res.writeHead(404).end('not found');
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}
