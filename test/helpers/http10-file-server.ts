/**
 * A plain HTTP/1.0 file server on 127.0.0.1 in the manner of `python3 -m http.server`: one
 * response per connection, then the server closes the socket right after the last body byte
 * (FIN while the client may still be applying backpressure — nodejs/undici#5360). Each request
 * is answered by the next entry of a script, so tests can stage truncations and error statuses.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** How one request is answered. */
export type Http10Reply =
  | { readonly kind: 'body'; readonly body: Buffer; readonly contentLength?: boolean }
  | { readonly kind: 'truncate'; readonly body: Buffer; readonly sendBytes: number }
  | { readonly kind: 'status'; readonly status: number; readonly location?: string };

export interface Http10FileServer {
  readonly url: string;
  /** Request paths (with query) in arrival order. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Starts the server; `script(n)` answers the n-th request (0-based). */
export async function startHttp10FileServer(script: (n: number) => Http10Reply): Promise<Http10FileServer> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      sock.off('data', onData);
      const path = head.split(' ')[1] ?? '/';
      const reply = script(requests.length);
      requests.push(path);
      if (reply.kind === 'status') {
        const loc = reply.location ? `Location: ${reply.location}\r\n` : '';
        sock.end(`HTTP/1.0 ${reply.status} Status\r\nServer: SimpleHTTP/0.6 Python/3.11\r\n${loc}Content-Length: 0\r\n\r\n`);
        return;
      }
      const len = reply.kind === 'body' && reply.contentLength === false ? '' : `Content-Length: ${reply.body.length}\r\n`;
      sock.write(`HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11\r\nContent-type: text/csv\r\n${len}\r\n`);
      if (reply.kind === 'truncate') sock.end(reply.body.subarray(0, reply.sendBytes));
      else sock.end(reply.body);
    };
    sock.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
