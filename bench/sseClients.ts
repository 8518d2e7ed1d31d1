// A child process that holds N connections to GET /v1/events and reads
// everything, so the benchmark measures what the server pays for its
// clients, not what reading them costs. Usage: sseClients.js PORT TOKEN N.
// Prints "ready" once every stream is open; on "report" prints the number
// of events each client got (JSON); exits when stdin closes.
import http from 'node:http';
import { createInterface } from 'node:readline';

const [port, token, n] = process.argv.slice(2);
const counts = Array.from({ length: Number(n) }, () => 0);
let open = 0;

counts.forEach((_, i) => {
  const req = http.get(
    { host: '127.0.0.1', port: Number(port), path: '/v1/events', headers: { authorization: `Bearer ${token}` }, agent: false },
    (res) => {
      let tail = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const text = tail + chunk;
        const frames = text.split('\n\n');
        tail = frames.pop() ?? '';
        for (const frame of frames) if (frame.startsWith('id: ')) counts[i]!++;
      });
      if (++open === counts.length) console.log('ready');
    },
  );
  req.on('error', (err) => {
    console.error(`client ${i}: ${err.message}`);
    process.exit(1);
  });
});

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() === 'report') console.log(JSON.stringify(counts));
  })
  .on('close', () => process.exit(0));
