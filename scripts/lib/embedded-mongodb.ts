import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_LINES = 20;

export interface EmbeddedMongoOptions {
  /** TCP port on 127.0.0.1; 0 or undefined lets the server pick a free one. */
  port?: number;
  /** Data directory, created if missing. */
  dir: string;
  /** Receives the server's own output lines (FerretDB warnings and errors). */
  log?: (line: string) => void;
}

export interface EmbeddedMongo {
  url: string;
  /** The server's process id (tests pause it to simulate a database that hangs). */
  pid: number | undefined;
  stop(): Promise<void>;
}

export function embeddedMongoBinary(): string {
  const name = process.platform === 'win32' ? 'embedded-mongodb.exe' : 'embedded-mongodb';
  return path.resolve(import.meta.dirname, '../../tools/embedded-mongodb/bin', name);
}

export function hasEmbeddedMongo(): boolean {
  return existsSync(embeddedMongoBinary());
}

/**
 * Starts the embedded server and resolves once it accepts connections. The child
 * process keeps this one alive until `stop()` is called.
 */
export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  const binary = embeddedMongoBinary();
  if (!existsSync(binary)) {
    throw new Error(
      `embedded MongoDB server not built (${binary} is missing): ` +
        'run `npm install` with Go 1.26 on PATH to build it, or set MONGO_URL to a MongoDB server',
    );
  }

  // Asking the server for port 0 and reading the port from its ready line avoids the
  // race of probing for a free port here and binding it there.
  const listen = `127.0.0.1:${opts.port ?? 0}`;
  // A pipe on stdin that stays open: when this process dies, even by SIGKILL, the
  // server sees EOF and exits instead of lingering as an orphan.
  const child = spawn(binary, ['-listen', listen, '-dir', opts.dir, '-exit-on-stdin-eof'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });

  // 'exit' may never come when spawning itself failed, so 'error' also counts as the end.
  let running = true;
  const ended = new Promise<void>(resolve => {
    const end = (): void => {
      running = false;
      resolve();
    };
    child.once('exit', end);
    child.once('error', end);
  });
  const stderrTail: string[] = [];

  createInterface({ input: child.stderr }).on('line', line => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
    opts.log?.(line);
  });

  const describeFailure = (what: string): Error =>
    new Error(`embedded MongoDB server ${what}${stderrTail.length ? `:\n${stderrTail.join('\n')}` : ''}`);

  let address: string;
  try {
    address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(describeFailure(`was not ready within ${READY_TIMEOUT_MS / 1000} s`)),
        READY_TIMEOUT_MS,
      );
      // Both handlers are no-ops once the promise has settled.
      child.once('error', err => {
        clearTimeout(timer);
        reject(describeFailure(`could not be started (${err.message})`));
      });
      // 'close' rather than 'exit': it comes after the last stderr line has been read.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        reject(describeFailure(`exited before it was ready (${signal ?? `code ${code}`})`));
      });
      createInterface({ input: child.stdout }).on('line', line => {
        const ready = /^ready (\S+)$/.exec(line);
        if (ready?.[1]) {
          clearTimeout(timer);
          resolve(ready[1]);
        } else {
          opts.log?.(line);
        }
      });
    });
  } catch (err) {
    await stopChild();
    throw err;
  }

  async function stopChild(): Promise<void> {
    if (running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await ended;
      clearTimeout(timer);
    }
    child.stdin.destroy();
  }

  const port = address.slice(address.lastIndexOf(':') + 1);
  return { url: `mongodb://127.0.0.1:${port}/`, pid: child.pid, stop: stopChild };
}
