// Baseline for the boot-storm benchmark: plain node:net reading a request to
// EOF and answering one fixed lease, as the leases plugin answers port 191.
// Prints its port, serves until killed.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const lease = readFileSync(process.argv[2]);
const server = createServer((socket) => {
  socket.on('error', () => {});
  socket.on('data', () => {});
  socket.on('end', () => socket.end(lease));
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => console.log(server.address().port));
