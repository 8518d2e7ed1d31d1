// The limit: a bare node:http server answering every request with the bytes
// of one file (Content-Length, keep-alive), what no server of the same
// bytes can beat. A line on stdin names another file to serve (it answers
// "ok"); stdin closing ends it. Prints its base URL.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';

let bytes = readFileSync(process.argv[2] ?? '/dev/null');
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': bytes.length });
  res.end(bytes);
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
createInterface({ input: process.stdin })
  .on('line', (path) => {
    bytes = readFileSync(path);
    console.log('ok');
  })
  .on('close', () => process.exit(0));
