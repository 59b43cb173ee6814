/**
 * Password authentication: SCRAM-SHA-256 (PostgreSQL's default) with Web Crypto, md5 and
 * cleartext. Web Crypto has no MD5, so that one legacy method loads node:crypto on demand.
 */

const encoder = new TextEncoder();

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function hmacKey(secret: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
}

async function hmac(key: CryptoKey, message: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/** One SCRAM-SHA-256 exchange (RFC 5802/7677, no channel binding), step by step. */
export class ScramClient {
  #password: string;
  #clientNonce: string;
  #clientFirstBare: string;
  #expectedServerSignature?: string;

  /**
   * `userName` is "*" for PostgreSQL, which takes the user from the startup message; the nonce
   * is random unless a test replays a known exchange.
   */
  constructor(
    password: string,
    clientNonce = base64(crypto.getRandomValues(new Uint8Array(18))),
    userName = "*",
  ) {
    this.#password = password;
    this.#clientNonce = clientNonce;
    this.#clientFirstBare = `n=${userName},r=${clientNonce}`;
  }

  /** The client-first message. */
  firstMessage(): string {
    return `n,,${this.#clientFirstBare}`;
  }

  /** The client-final message for the server-first message. */
  async finalMessage(serverFirst: string): Promise<string> {
    const attributes = parseAttributes(serverFirst);
    const nonce = attributes.get("r") ?? "";
    const salt = attributes.get("s");
    const iterations = Number(attributes.get("i"));
    // The server's nonce extends the client's with its own part.
    const extendsNonce = nonce.startsWith(this.#clientNonce) &&
      nonce.length > this.#clientNonce.length;
    if (!extendsNonce || salt === undefined || !(iterations > 0)) {
      throw new Error("the server's SCRAM challenge is malformed");
    }
    const passwordKey = await crypto.subtle.importKey(
      "raw",
      encoder.encode(this.#password),
      "PBKDF2",
      false,
      ["deriveBits"],
    );
    const saltedPassword = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt: fromBase64(salt), iterations },
        passwordKey,
        256,
      ),
    );
    // Independent steps run side by side: a light command waits for all of them (RFC 5802 §3).
    const saltedKey = await hmacKey(saltedPassword);
    const [clientKey, serverKey] = await Promise.all([
      hmac(saltedKey, "Client Key"),
      hmac(saltedKey, "Server Key"),
    ]);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${withoutProof}`;
    const [clientSignature, serverSignature] = await Promise.all([
      crypto.subtle.digest("SHA-256", clientKey).then((storedKey) =>
        hmacKey(new Uint8Array(storedKey))
      ).then((key) => hmac(key, authMessage)),
      hmacKey(serverKey).then((key) => hmac(key, authMessage)),
    ]);
    const proof = clientKey.map((byte, i) => byte ^ clientSignature[i]);
    this.#expectedServerSignature = base64(serverSignature);
    return `${withoutProof},p=${base64(proof)}`;
  }

  /** Checks the server-final message: the server, too, must know the password. */
  verifyServer(serverFinal: string): void {
    const signature = parseAttributes(serverFinal).get("v");
    if (signature === undefined || signature !== this.#expectedServerSignature) {
      throw new Error("the server's SCRAM signature does not match: it may not be the server");
    }
  }
}

function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(",")) {
    const equals = part.indexOf("=");
    if (equals > 0) attributes.set(part.slice(0, equals), part.slice(equals + 1));
  }
  return attributes;
}

/** md5 authentication's answer: "md5" + md5(md5(password + user) + salt). */
export async function md5Password(user: string, password: string, salt: Uint8Array) {
  const { createHash } = await import("node:crypto");
  const inner = createHash("md5").update(password + user).digest("hex");
  return "md5" + createHash("md5").update(inner).update(salt).digest("hex");
}
