// A load generator in a process of its own, so that it does not share the
// measured server's process: `connections` keep-alive connections, each
// sending the next request as soon as the last answer is read, for
// `durationMs`. Prints one JSON line: requests, requests/s, latency
// percentiles (ms), bytes per answer, errors.
import http from 'node:http';

interface LoadSpec {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  durationMs: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
const url = new URL(spec.url);

function once(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: spec.method ?? 'GET',
        headers: {
          ...spec.headers,
          ...(spec.body ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(spec.body) } : {}),
        },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(spec.body);
  });
}

async function main() {
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  // A few requests first: connections open, code compiled.
  for (let i = 0; i < 5; i++) bytes = await once();
  const started = performance.now();
  const until = started + spec.durationMs;
  await Promise.all(
    Array.from({ length: spec.connections }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          bytes = await once();
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const rps = (latencies.length * 1000) / elapsed;
  console.log(JSON.stringify({ requests: latencies.length, rps, p50: at(0.5), p99: at(0.99), bytes, errors }));
  agent.destroy();
}

void main();
