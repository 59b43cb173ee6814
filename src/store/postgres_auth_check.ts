/**
 * The authentication exchange a PostgreSQL server leads: a method dpo speaks, a password only when
 * one was given, and a SCRAM exchange in order, with a nonce that extends dpo's, a sane iteration
 * count and the server's proof before AuthenticationOk (postgres.js accepts one that skips it).
 */
import type { Body } from "./postgres_message_body.ts";
import { WireError } from "./postgres_wire_error.ts";

/**
 * PBKDF2 rounds a server may ask for in SCRAM: PostgreSQL uses 4096 by default, and postgres.js
 * computes them synchronously, so a server asking for billions would freeze dpo (signals too).
 */
export const MAX_SCRAM_ITERATIONS = 1_000_000;

type ScramState = "none" | "started" | "continued" | "verified";

const AUTH_METHODS: Record<number, string> = {
  2: "Kerberos V5",
  6: "SCM credentials",
  7: "GSSAPI",
  8: "GSSAPI",
  9: "SSPI",
};

/** Checks each Authentication message ("R") of one connection, in the order they come. */
export class AuthenticationCheck {
  #where: string;
  #hasPassword: boolean;
  #broken: (what: string) => WireError;
  #scram: ScramState = "none";
  #clientNonce: string | undefined;

  /** `broken` words a PROTOCOL_ERROR: "the server at … sent <what>". */
  constructor(
    options: { where: string; hasPassword: boolean },
    broken: (what: string) => WireError,
  ) {
    this.#where = options.where;
    this.#hasPassword = options.hasPassword;
    this.#broken = broken;
  }

  /** Notes the nonce of SCRAM's first client message, which the server must extend. */
  sent(chunk: unknown): void {
    if (!(chunk instanceof Uint8Array) || this.#scram !== "started") return;
    const text = new TextDecoder("latin1").decode(chunk);
    const nonce = text.match(/n,,n=[^,]*,r=([A-Za-z0-9+/=]+)/);
    if (nonce) this.#clientNonce = nonce[1];
  }

  check(body: Body): void {
    const request = body.int32();
    switch (request) {
      case 0: // AuthenticationOk
        // A server that skips SCRAM's last step has not shown that it knows the password.
        if (this.#scram !== "none" && this.#scram !== "verified") {
          throw this.#broken("AuthenticationOk before the server proved it knows the password");
        }
        return body.end();
      case 3: // cleartext
        this.#needsPassword();
        return body.end();
      case 5: // MD5, with a 4-byte salt
        this.#needsPassword();
        body.skip(4);
        return body.end();
      case 10:
        return this.#saslStart(body);
      case 11: // SASLContinue: r=<nonce>,s=<salt>,i=<iterations>
        if (this.#scram !== "started") throw this.#broken("a SCRAM message out of turn");
        this.#scramContinue(body.rest());
        this.#scram = "continued";
        return;
      case 12: // SASLFinal: v=<signature>, which postgres.js compares
        if (this.#scram !== "continued") throw this.#broken("a SCRAM message out of turn");
        if (!/^v=[A-Za-z0-9+/=]+$/.test(body.rest())) {
          throw this.#broken("a SCRAM final message without the server's signature");
        }
        this.#scram = "verified";
        return;
      default:
        throw new WireError(
          "AUTH_UNSUPPORTED",
          `the server at ${this.#where} asks for an authentication method dpo does not ` +
            `speak (${AUTH_METHODS[request] ?? `AuthenticationRequest ${request}`}): use ` +
            "scram-sha-256, md5 or password",
        );
    }
  }

  #needsPassword(): void {
    if (this.#hasPassword) return;
    throw new WireError(
      "NO_PASSWORD",
      `the server at ${this.#where} asks for a password and none was given`,
    );
  }

  // AuthenticationSASL: the mechanisms the server offers.
  #saslStart(body: Body): void {
    const mechanisms: string[] = [];
    for (let name = body.cstring(); name !== ""; name = body.cstring()) mechanisms.push(name);
    body.end();
    if (this.#scram !== "none") throw this.#broken("a second SASL start");
    if (!mechanisms.includes("SCRAM-SHA-256")) {
      throw new WireError(
        "AUTH_UNSUPPORTED",
        `the server at ${this.#where} offers only ${mechanisms.join(", ")} ` +
          "authentication, which dpo does not speak",
      );
    }
    this.#needsPassword();
    this.#scram = "started";
  }

  #scramContinue(text: string): void {
    const attributes = new Map(
      text.split(",").map((part) => [part.slice(0, 1), part.slice(2)] as const),
    );
    const nonce = attributes.get("r") ?? "";
    const iterations = attributes.get("i") ?? "";
    if (
      this.#clientNonce === undefined || !nonce.startsWith(this.#clientNonce) ||
      nonce.length === this.#clientNonce.length || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)
    ) {
      throw this.#broken("a SCRAM nonce that does not extend dpo's");
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(attributes.get("s") ?? "")) {
      throw this.#broken("a SCRAM salt that is not base64");
    }
    if (!/^[1-9]\d{0,9}$/.test(iterations) || Number(iterations) > MAX_SCRAM_ITERATIONS) {
      throw this.#broken(
        `a SCRAM iteration count of "${iterations}" (dpo accepts 1 to ${MAX_SCRAM_ITERATIONS})`,
      );
    }
  }
}
