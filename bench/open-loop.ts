/**
 * Open-loop load: requests at a fixed rate whatever the server does, over a pool of keep-alive
 * connections (HTTP/1.1, one request at a time per connection, no pipelining).
 *
 * Latency is measured from each request's *intended* send time (start + i / rate), not from when a
 * connection was free to send it: a server that stalls makes the requests scheduled during the stall
 * wait, and that wait is counted (no coordinated omission). Requests due while every connection is
 * busy queue in the generator, as they would in a client's connection pool.
 *
 * The client is raw `net` sockets with a minimal HTTP/1.1 response reader (status line,
 * Content-Length or chunked body): node:http's client costs several times more CPU per request, and
 * the generator must not be the bottleneck at tens of thousands of requests a second.
 */
import net from 'node:net';
import { Samples, percentile } from './lib/procfs.ts';

export interface OpenLoopOptions {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
  rate: number;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** How long to wait for the last answers after the schedule ends. */
  drainMs?: number;
}

export interface OpenLoopResult {
  rate: number;
  sent: number;
  answered: number;
  non2xx: number;
  errors: number;
  /** Scheduled in the measured window but unanswered when the drain ended (counted as latency = wait). */
  unanswered: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** Share of the measured window's requests answered (2xx) within 10 ms of their intended send time. */
  within10ms: number;
  /** How late the generator itself put requests on the wire (queueing for a connection included). */
  sendLagP99Ms: number;
  /** Most requests waiting for a free connection at once. */
  maxQueued: number;
  /**
   * When the late answers came: per 100 ms of intended send time (wall clock, ms since the epoch, to
   * set beside the servers' logs) with an answer later than 10 ms, how many and the latest; worst first.
   */
  lateWindows: { at: number; late: number; maxMs: number }[];
  /** The generator's own pauses over 5 ms (its event loop not running: wall clock start, length). */
  generatorPauses: { at: number; ms: number }[];
}

/** Late windows and pauses kept in a result: enough to find the causes, few enough to read. */
const DIAGNOSTICS_KEPT = 20;
const epoch = (t: number) => Math.round(performance.timeOrigin + t);

const CRLF2 = Buffer.from('\r\n\r\n');

interface Conn {
  socket: net.Socket;
  /** Intended send time (ms, performance.now()) of the request in flight; -1 when idle. */
  intended: number;
  buffer: Buffer;
  closed: boolean;
}

const CONTENT_LENGTH = Buffer.from('\r\nContent-Length: ');

/** Parses one complete response at the start of `buf`: [status, bytes consumed], or null if incomplete. */
export function parseResponse(buf: Buffer): [number, number] | null {
  const headerEnd = buf.indexOf(CRLF2);
  if (headerEnd < 0) return null;
  const status = (buf[9]! - 48) * 100 + (buf[10]! - 48) * 10 + (buf[11]! - 48);
  const bodyStart = headerEnd + 4;
  // The common case, as Node's servers write it, without decoding the header.
  const at = buf.indexOf(CONTENT_LENGTH);
  if (at >= 0 && at < headerEnd) {
    let length = 0;
    for (let i = at + CONTENT_LENGTH.length; buf[i]! >= 48 && buf[i]! <= 57; i += 1)
      length = length * 10 + buf[i]! - 48;
    return buf.length >= bodyStart + length ? [status, bodyStart + length] : null;
  }
  const head = buf.toString('latin1', 0, headerEnd).toLowerCase();
  const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
  if (length) {
    const end = bodyStart + Number(length[1]);
    return buf.length >= end ? [status, end] : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/.test(head)) {
    let at = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
      const next = lineEnd + 2 + size + 2;
      if (buf.length < next) return null;
      if (size === 0) return [status, next];
      at = next;
    }
  }
  return [status, bodyStart];
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const head =
    `POST ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\nConnection: keep-alive\r\n` +
    Object.entries(o.headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    `Content-Length: ${Buffer.byteLength(o.body)}\r\n\r\n`;
  const requestBytes = Buffer.from(head + o.body);
  const intervalMs = 1000 / o.rate;
  const latencies = new Samples();
  const lags = new Samples();
  const queue: number[] = [];
  const idle: Conn[] = [];
  let non2xx = 0;
  let errors = 0;
  let answered = 0;
  let sent = 0;
  let maxQueued = 0;
  let scheduled = 0;
  const late = new Map<number, { late: number; maxMs: number }>();
  const pauses: { at: number; ms: number }[] = [];

  const noteLate = (intended: number, ms: number) => {
    if (ms <= 10) return;
    const bucket = Math.floor(intended / 100);
    const w = late.get(bucket) ?? { late: 0, maxMs: 0 };
    w.late += 1;
    w.maxMs = Math.max(w.maxMs, ms);
    late.set(bucket, w);
  };

  const start = performance.now() + 50;
  const measureFrom = start + o.warmupSeconds * 1000;
  const end = measureFrom + o.seconds * 1000;
  let done = false;

  const send = (conn: Conn, intended: number) => {
    conn.intended = intended;
    if (intended >= measureFrom) lags.add(performance.now() - intended);
    conn.socket.write(requestBytes);
    sent += 1;
  };

  const release = (conn: Conn) => {
    conn.intended = -1;
    const due = queue.shift();
    if (due !== undefined) send(conn, due);
    else idle.push(conn);
  };

  const connect = (): Conn => {
    const socket = net.connect({ host: o.host, port: o.port, noDelay: true });
    const conn: Conn = { socket, intended: -1, buffer: Buffer.alloc(0), closed: false };
    socket.on('connect', () => release(conn));
    socket.on('data', (chunk: Buffer) => {
      conn.buffer = conn.buffer.length === 0 ? chunk : Buffer.concat([conn.buffer, chunk]);
      for (;;) {
        const parsed = parseResponse(conn.buffer);
        if (!parsed) return;
        const [status, used] = parsed;
        conn.buffer = conn.buffer.subarray(used);
        const intended = conn.intended;
        if (intended < 0) return;
        if (intended >= measureFrom && intended < end) {
          answered += 1;
          const ms = performance.now() - intended;
          if (status >= 200 && status < 300) latencies.add(ms);
          else non2xx += 1;
          noteLate(intended, ms);
        }
        release(conn);
      }
    });
    const lost = () => {
      if (conn.closed || done) return;
      conn.closed = true;
      const i = idle.indexOf(conn);
      if (i >= 0) idle.splice(i, 1);
      if (conn.intended >= 0) {
        errors += 1;
        // The request is sent again on another connection, its intended time unchanged.
        queue.unshift(conn.intended);
      }
      conn.intended = -1;
      const at = conns.indexOf(conn);
      setTimeout(() => {
        if (!done) conns[at] = connect();
      }, 10);
    };
    socket.on('error', lost);
    socket.on('close', lost);
    return conn;
  };

  const conns: Conn[] = [];
  for (let i = 0; i < o.connections; i += 1) conns.push(connect());

  await new Promise<void>(resolve => {
    let lastTick = performance.now();
    const tick = () => {
      const now = performance.now();
      if (now - lastTick > 5 && now > measureFrom) pauses.push({ at: epoch(lastTick), ms: now - lastTick });
      lastTick = now;
      if (now >= end) {
        resolve();
        return;
      }
      while (start + scheduled * intervalMs <= now) {
        const intended = start + scheduled * intervalMs;
        scheduled += 1;
        const conn = idle.shift();
        if (conn) send(conn, intended);
        else queue.push(intended);
      }
      if (queue.length > maxQueued) maxQueued = queue.length;
      setImmediate(tick);
    };
    setImmediate(tick);
  });

  // Let the answers of the measured window come in (or time out).
  const drainUntil = performance.now() + (o.drainMs ?? 5000);
  while (performance.now() < drainUntil && (queue.length > 0 || conns.some(c => c.intended >= 0))) {
    await new Promise(r => setTimeout(r, 5));
  }
  done = true;
  const stillWaiting = queue.filter(t => t >= measureFrom && t < end).length;
  const inFlight = conns.filter(c => c.intended >= measureFrom && c.intended < end).length;
  const unanswered = stillWaiting + inFlight;
  for (const c of conns) c.socket.destroy();
  // Unanswered requests count with the time they have waited so far: they are at least that late.
  const now = performance.now();
  for (const t of queue) if (t >= measureFrom && t < end) latencies.add(now - t);
  for (const c of conns) if (c.intended >= measureFrom && c.intended < end) latencies.add(now - c.intended);
  const lateWindows = [...late.entries()]
    .map(([bucket, w]) => ({ at: epoch(bucket * 100), late: w.late, maxMs: Math.round(w.maxMs * 10) / 10 }))
    .sort((a, b) => b.late - a.late)
    .slice(0, DIAGNOSTICS_KEPT);
  const generatorPauses = pauses
    .sort((a, b) => b.ms - a.ms)
    .slice(0, DIAGNOSTICS_KEPT)
    .map(p => ({ at: p.at, ms: Math.round(p.ms * 10) / 10 }));

  const sorted = latencies.sorted();
  let within = 0;
  for (const v of sorted) {
    if (v > 10) break;
    within += 1;
  }
  const total = Math.max(1, answered + unanswered);
  return {
    rate: o.rate,
    sent,
    answered,
    non2xx,
    errors,
    unanswered,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: percentile(sorted, 1),
    within10ms: within / total,
    sendLagP99Ms: percentile(lags.sorted(), 0.99),
    maxQueued,
    lateWindows,
    generatorPauses,
  };
}
