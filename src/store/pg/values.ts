/**
 * Values in PostgreSQL's text format, both ways. Results come back as the server printed them,
 * except booleans, small integers and floats, and JSON; int8, numeric and timestamps stay text,
 * as the embedded store is configured too, so no value loses precision.
 */

const encoder = new TextEncoder();

/** Type OIDs from pg_type.dat. */
const BOOL = 16,
  INT2 = 21,
  INT4 = 23,
  OID = 26,
  FLOAT4 = 700,
  FLOAT8 = 701,
  JSON = 114,
  JSONB = 3802;

export type ValueParser = (text: string) => unknown;

/** How a column of this type is parsed; undefined = kept as text. */
export function parserFor(typeOid: number): ValueParser | undefined {
  switch (typeOid) {
    case BOOL:
      return (text) => text === "t";
    case INT2:
    case INT4:
    case OID:
    case FLOAT4:
    case FLOAT8:
      return Number;
    case JSON:
    case JSONB:
      return (text) => globalThis.JSON.parse(text);
  }
  return undefined;
}

/** A parameter in text format; null stays SQL NULL. */
export function encodeParameter(value: unknown): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Uint8Array) return value;
  if (value instanceof Date) return encoder.encode(value.toISOString());
  if (typeof value === "boolean") return encoder.encode(value ? "t" : "f");
  if (typeof value === "object") return encoder.encode(globalThis.JSON.stringify(value));
  return encoder.encode(String(value));
}
