/**
 * The yardstick for bench/verify.bench.ts: the least a Node `http` server on this machine must do for a
 * verify request (read the body, parse it as JSON, serialise a JSON answer of the real answer's size).
 * Whatever the system under test adds on top of this is the cost of the gateway and the services.
 *
 *   PORT=8090 ANSWER_BYTES=183 node bench/bare-server.ts
 */
import http from 'node:http';

const port = Number(process.env.PORT ?? 8090);
const host = process.env.HOST ?? '127.0.0.1';
const answerBytes = Number(process.env.ANSWER_BYTES ?? 180);
const MAX_BODY_BYTES = 64 * 1024;

// The padding is sized once so that every answer, serialised afresh per request, has exactly
// ANSWER_BYTES bytes: the real server also serialises per request.
const emptyLength = JSON.stringify({ valid: true, code: 'VALID', message: '' }).length;
if (!Number.isInteger(answerBytes) || answerBytes < emptyLength) {
  process.stderr.write(`ANSWER_BYTES must be a whole number of at least ${emptyLength}\n`);
  process.exit(1);
}
const padding = 'x'.repeat(answerBytes - emptyLength);

function reply(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > MAX_BODY_BYTES) return reply(res, 413, '{"error":"too large"}');
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(res, 400, '{"error":"invalid json"}');
    }
    if (typeof parsed !== 'object' || parsed === null) return reply(res, 400, '{"error":"not an object"}');
    reply(res, 200, JSON.stringify({ valid: true, code: 'VALID', message: padding }));
  });
});

server.listen(port, host);

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
