/**
 * The byte stream under the protocol. A plain connection is Deno's own socket, which loads
 * nothing of Node: that keeps a light command's start-up near a bare `deno run`. TLS goes
 * through node:tls (tls_transport.ts, loaded only then), because libpq's sslmode=require and
 * verify-ca skip checks that Deno.startTls always makes.
 */
import type { ByteSource } from "./protocol.ts";
import { socketError } from "./errors.ts";
import type { ServerAddress } from "./config.ts";

export interface Transport extends ByteSource {
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
}

/** A TCP connection (no delay: every message waits for an answer), or a Unix socket. */
export async function connectPlain(address: ServerAddress): Promise<Transport> {
  const where = describeAddress(address);
  let conn: Deno.Conn;
  try {
    if (address.host.startsWith("/")) {
      conn = await Deno.connect({
        transport: "unix",
        path: `${address.host}/.s.PGSQL.${address.port}`,
      });
    } else {
      const tcp = await Deno.connect({ hostname: address.host, port: address.port });
      tcp.setNoDelay(true);
      conn = tcp;
    }
  } catch (error) {
    throw socketError(error, where);
  }
  return denoTransport(conn, where);
}

function denoTransport(conn: Deno.Conn, where: string): Transport {
  let closed = false;
  return {
    read: async (into) => {
      try {
        return await conn.read(into);
      } catch (error) {
        if (closed) return null;
        throw socketError(error, where);
      }
    },
    write: async (bytes) => {
      try {
        for (let written = 0; written < bytes.length;) {
          written += await conn.write(bytes.subarray(written));
        }
      } catch (error) {
        throw socketError(error, where);
      }
    },
    close: () => {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // Already closed by the peer.
      }
    },
  };
}

export function describeAddress(address: ServerAddress): string {
  if (address.host.startsWith("/")) return `${address.host}/.s.PGSQL.${address.port}`;
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
