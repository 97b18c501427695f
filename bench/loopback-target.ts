/**
 * The loopback target the load-generator ceilings are measured against: node:http answering `{}`
 * at once, in a worker thread so it has its own event loop. One target for the built-in runner's
 * bench and for the runner-versus-k6 table, so both engines are measured against the same thing.
 */
import { Worker } from 'node:worker_threads';

const TARGET = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = http.createServer((req, res) => { req.resume(); res.setHeader('content-type', 'application/json'); res.end('{}'); });
server.keepAliveTimeout = 10000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', (m) => { if (m === 'stop') { server.close(); server.closeAllConnections(); parentPort.close(); } });
`;

export interface LoopbackTarget {
  url: string;
  stop(): Promise<void>;
}

export function startLoopbackTarget(): Promise<LoopbackTarget> {
  const w = new Worker(TARGET, { eval: true });
  return new Promise((resolve, reject) => {
    w.once('error', reject);
    w.once('message', (port: number) =>
      resolve({
        url: `http://127.0.0.1:${port}/`,
        stop: () =>
          new Promise<void>((done) => {
            w.once('exit', () => done());
            w.postMessage('stop');
          }),
      }),
    );
  });
}
