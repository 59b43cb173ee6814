import { deepStrictEqual as equal, throws } from "node:assert/strict";
import { UsageError } from "../../src/errors.ts";
import { connectionConfig } from "../../src/store/pg/config.ts";

const noEnv = (env: Record<string, string> = {}) => (name: string) => env[name];

Deno.test("connectionConfig() reads user, password, host, port and database from the URL", () => {
  equal(connectionConfig("postgresql://ann:s%40cret@db.example.com:6543/sales", noEnv()), {
    addresses: [{ host: "db.example.com", port: 6543 }],
    user: "ann",
    password: "s@cret",
    database: "sales",
    startupParameters: {},
  });
});

Deno.test("connectionConfig() keeps a raw @ in the password, up to the authority's last @", () => {
  const config = connectionConfig("postgresql://ann:p@ss@h/db", noEnv());
  equal([config.user, config.password, config.addresses[0].host], ["ann", "p@ss", "h"]);
});

Deno.test("connectionConfig() fills what the URL leaves out from libpq's variables", () => {
  const env = noEnv({
    PGHOST: "pg.internal",
    PGPORT: "5433",
    PGUSER: "bob",
    PGPASSWORD: "pw",
    PGDATABASE: "warehouse",
  });
  equal(connectionConfig("postgresql://", env), {
    addresses: [{ host: "pg.internal", port: 5433 }],
    user: "bob",
    password: "pw",
    database: "warehouse",
    startupParameters: {},
  });
  // The URL wins over the variables; the database defaults to the user's name.
  const config = connectionConfig("postgresql://carol@h:1", noEnv({ PGUSER: "bob" }));
  equal([config.user, config.database, config.addresses], ["carol", "carol", [{
    host: "h",
    port: 1,
  }]]);
});

Deno.test("connectionConfig() reads a host list, IPv6 hosts and a Unix socket directory", () => {
  equal(connectionConfig("postgresql://u@a:1,b,[::1]:3/db", noEnv()).addresses, [
    { host: "a", port: 1 },
    { host: "b", port: 5432 },
    { host: "::1", port: 3 },
  ]);
  equal(connectionConfig("postgresql://u@%2Frun%2Fpostgresql/db", noEnv()).addresses, [
    { host: "/run/postgresql", port: 5432 },
  ]);
  equal(connectionConfig("postgresql://u@%2Frun%2Fpostgresql:5433/db", noEnv()).addresses, [
    { host: "/run/postgresql", port: 5433 },
  ]);
  equal(connectionConfig("postgresql:///db?host=/tmp/pg", noEnv({ USER: "u" })).addresses, [
    { host: "/tmp/pg", port: 5432 },
  ]);
});

Deno.test("connectionConfig() sends the URL's other parameters at start-up", () => {
  const config = connectionConfig(
    "postgresql://u@h/db?application_name=etl%20nightly&options=-c%20search_path%3Ddpo",
    noEnv(),
  );
  equal(config.startupParameters, {
    application_name: "etl nightly",
    options: "-c search_path=dpo",
  });
});

Deno.test("connectionConfig() takes the account from USER, and asks for a user when there is none", () => {
  equal(connectionConfig("postgresql://h/db", noEnv({ USER: "ci" })).user, "ci");
  throws(() => connectionConfig("postgresql://h/db", noEnv()), UsageError);
});

Deno.test("connectionConfig() reads libpq's keywords from the query, never as server settings", () => {
  const config = connectionConfig(
    "postgresql://h/db?user=bob&password=pw&dbname=other&port=6000&client_encoding=LATIN1&x=1",
    noEnv(),
  );
  equal(
    [config.user, config.password, config.database, config.addresses, config.startupParameters],
    ["bob", "pw", "other", [{ host: "h", port: 6000 }], { x: "1" }],
  );
});

Deno.test("connectionConfig() refuses a port that is no TCP port, and reads a bare IPv6 host", () => {
  throws(() => connectionConfig("postgresql://u@h/db", noEnv({ PGPORT: "x" })), UsageError);
  throws(() => connectionConfig("postgresql://u@h:99999/db", noEnv()), UsageError);
  equal(connectionConfig("postgresql:///db", noEnv({ PGHOST: "::1", USER: "u" })).addresses, [
    { host: "::1", port: 5432 },
  ]);
});
