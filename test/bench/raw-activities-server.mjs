// Baseline for the activities benchmark: plain node:http serving a bundle file
// with fs.createReadStream at /bundle.xo, and fixed page bytes with the daemon's
// headers at /page, in the HTTP chunks the daemon sends (their sizes, as JSON).
// Prints its URL, serves until killed.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';

const [bundleFile, pageFile, headersFile, chunksFile] = process.argv.slice(2);
const page = readFileSync(pageFile);
let at = 0;
const pageChunks = JSON.parse(readFileSync(chunksFile, 'utf8')).map((size) => page.subarray(at, (at += size)));
const pageHeaders = JSON.parse(readFileSync(headersFile, 'utf8'));
const size = statSync(bundleFile).size;

const server = createServer((req, res) => {
  if (req.url === '/page') {
    res.writeHead(200, pageHeaders);
    for (const chunk of pageChunks) res.write(chunk);
    res.end();
  } else if (req.url === '/bundle.xo') {
    res.writeHead(200, { 'Content-Type': 'application/vnd.olpc-sugar', 'Content-Length': size });
    createReadStream(bundleFile).pipe(res);
  } else {
    res.writeHead(404).end();
  }
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}`));
