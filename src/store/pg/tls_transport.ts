/**
 * TLS through node:tls, loaded only for TLS connections: libpq's sslmode=require and verify-ca
 * skip the host name (or every) check, which Deno.startTls cannot. The checks themselves are
 * configured by tls.ts.
 */
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import type { ServerAddress } from "./config.ts";
import { ClientError } from "./errors.ts";
import { sslRequest } from "./protocol.ts";
import { describeAddress, type Transport } from "./transport.ts";

/**
 * Connects and negotiates TLS: with an SSLRequest first (the server answers "S" or "N"), or
 * directly with ALPN "postgresql" (sslnegotiation=direct, PostgreSQL 17).
 */
export async function connectTlsTransport(
  address: ServerAddress,
  options: ConnectionOptions,
  direct: boolean,
): Promise<Transport> {
  const servername = isIP(address.host) ? undefined : address.host;
  if (direct) {
    const socket = connectTls({
      ...options,
      host: address.host,
      port: address.port,
      servername,
      ALPNProtocols: ["postgresql"],
    });
    await settled(socket, "secureConnect");
    return nodeTransport(socket);
  }
  const tcp = connectTcp({ host: address.host, port: address.port, noDelay: true });
  await settled(tcp, "connect");
  let onData = (_chunk: Uint8Array) => {}, onError = (_error: Error) => {}, onEnd = () => {};
  const answer = new Promise<string>((resolve, reject) => {
    // One byte, "S" or "N"; anything more came unencrypted where TLS should start.
    onData = (chunk) => resolve(chunk.length === 1 ? String.fromCharCode(chunk[0]) : "");
    onError = reject;
    onEnd = () => resolve("");
  });
  tcp.once("data", onData).once("error", onError).once("end", onEnd);
  tcp.write(sslRequest());
  const accepted = await answer.finally(() => {
    tcp.off("data", onData).off("error", onError).off("end", onEnd);
  });
  if (accepted !== "S") {
    tcp.destroy();
    throw new ClientError(
      "TLS_NOT_OFFERED",
      `the server at ${describeAddress(address)} does not accept TLS connections`,
    );
  }
  const socket = connectTls({ ...options, socket: tcp, servername });
  await settled(socket, "secureConnect");
  return nodeTransport(socket);
}

function settled(socket: Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => {
      socket.off("error", reject);
      resolve();
    });
    socket.once("error", reject);
  });
}

/** A node socket as a Transport: data events buffered until read. */
function nodeTransport(socket: Socket): Transport {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    notify();
  });
  socket.on("end", () => {
    ended = true;
    notify();
  });
  socket.on("close", () => {
    ended = true;
    notify();
  });
  socket.on("error", (error) => {
    failure = error;
    notify();
  });
  return {
    read: async (into) => {
      while (chunks.length === 0 && !ended && failure === undefined) {
        await new Promise<void>((resolve) => wake = resolve);
      }
      if (chunks.length === 0) {
        if (failure !== undefined) throw failure;
        return null;
      }
      const chunk = chunks[0];
      const size = Math.min(chunk.length, into.length);
      into.set(chunk.subarray(0, size));
      if (size === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(size);
      return size;
    },
    write: (bytes) =>
      new Promise((resolve, reject) => {
        socket.write(bytes, (error) => error ? reject(error) : resolve());
      }),
    close: () => {
      socket.destroy();
    },
  };
}
