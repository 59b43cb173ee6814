/** The one interface both stores implement: PostgreSQL on a server, SQLite embedded. */

/** The SQL dialect a store speaks; a statement that differs between them says so beside itself. */
export type Dialect = "postgres" | "sqlite";

/** Something that runs one parameterised statement ($1, $2…) and returns its rows. */
export interface Queryable {
  readonly dialect: Dialect;
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (a migration). */
  exec(script: string): Promise<void>;
}

/** An open store: queries, transactions and a close that lets the process exit. */
export interface Store extends Queryable {
  /** Runs the work in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The text of a statement written once per dialect. */
export function inDialect(db: Queryable, variants: Record<Dialect, string>): string {
  return variants[db.dialect];
}
