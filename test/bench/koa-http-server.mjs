// Reference for the HTTP benchmark: bare koa (no router, no middleware of ours)
// sending the same bytes with the same headers. Shows what koa itself costs, so
// the daemon's own overhead can be told apart from the framework's.
import { readFileSync } from 'node:fs';
import Koa from 'koa';

const body = readFileSync(process.argv[2]);
const app = new Koa();
app.use((ctx) => {
  ctx.set('Content-Type', 'application/json; charset=utf-8');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
});
const server = app.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
