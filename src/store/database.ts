/** The one interface both stores implement, so every SQL statement serves PostgreSQL and PGlite. */

/** Something that runs one parameterised statement ($1, $2…) and returns its rows. */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (a migration). */
  exec(script: string): Promise<void>;
}

/** An open store: queries, transactions and a close that lets the process exit. */
export interface Store extends Queryable {
  readonly kind: "postgres" | "pglite";
  /** Runs the work in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
