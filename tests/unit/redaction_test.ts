import { deepStrictEqual as equal } from "node:assert/strict";
import { redactText, redactUrl, urlPasswords, urlShownWords } from "../../src/redaction.ts";

Deno.test("redactUrl() replaces the password where it is one: user-info and password=", async (t) => {
  const cases = [
    { url: "postgresql://u:pw@h/db", expected: "postgresql://u:***@h/db" },
    { url: "postgresql://u@h/db", expected: "postgresql://u@h/db" },
    { url: "postgresql://u:p@ss@h:5432/db", expected: "postgresql://u:***@h:5432/db" },
    {
      url: "postgresql://u@h/db?sslmode=disable&password=s3cret&x=1",
      expected: "postgresql://u@h/db?sslmode=disable&password=***&x=1",
    },
    { url: "postgresql://dpo:dpo@h:5432/dpo", expected: "postgresql://dpo:***@h:5432/dpo" },
    { url: "mysql://root:hunter2@h/db", expected: "mysql://root:***@h/db" },
  ];
  for (const c of cases) {
    await t.step(c.url, () => equal(redactUrl(c.url), c.expected));
  }
});

/** A user "dpo" on database "dpo" with the password given; what the URL shows anyway. */
function secretsFor(password: string, url = `postgresql://dpo:${password}@127.0.0.1:5432/dpo`) {
  return { passwords: urlPasswords(url), shown: urlShownWords(url) };
}

Deno.test("redactText() hides a password without blanking the words that equal it", async (t) => {
  const cases = [
    {
      name: "equal to the user and the database: the missing database is still named",
      password: "dpo",
      text: 'Database "dpo" does not exist at postgresql://dpo:dpo@127.0.0.1:5432/dpo: ' +
        "create it or fix the URL",
      expected: 'Database "dpo" does not exist at postgresql://dpo:***@127.0.0.1:5432/dpo: ' +
        "create it or fix the URL",
    },
    {
      name: "equal to a path segment of a stack",
      password: "work",
      text: "Error: boom\n    at run (file:///work/dpo/src/store/connect.ts:12:3)",
      expected: "Error: boom\n    at run (file:///work/dpo/src/store/connect.ts:12:3)",
    },
    {
      name: "a common word: p",
      password: "p",
      text: "Cannot connect to PostgreSQL at postgresql://dpo:p@127.0.0.1:54999/dpo: no answer " +
        "in time; check the host and port, or raise --connect-timeout",
      expected: "Cannot connect to PostgreSQL at postgresql://dpo:***@127.0.0.1:54999/dpo: no " +
        "answer in time; check the host and port, or raise --connect-timeout",
    },
    {
      name: "a common word: port",
      password: "port",
      text: "check the host and port of postgresql://dpo:port@127.0.0.1:5432/dpo",
      expected: "check the host and port of postgresql://dpo:***@127.0.0.1:5432/dpo",
    },
    {
      name: "echoed by a server as a quoted value",
      password: "Zq9x-secret",
      text: 'invalid input syntax for type uuid: "Zq9x-secret"',
      expected: 'invalid input syntax for type uuid: "***"',
    },
    {
      name: "inside a longer quoted value, which is not an echo of it",
      password: "secret",
      text: 'Model "secret_sauce" changed',
      expected: 'Model "secret_sauce" changed',
    },
    {
      name: "as a libpq keyword",
      password: "kw-secret",
      text: "host=h password=kw-secret dbname=d",
      expected: "host=h password=*** dbname=d",
    },
    {
      name: "percent-encoded in a URL of a message",
      password: "p@ss/w",
      text: "Invalid URL: 'postgresql://dpo:p%40ss%2Fw@h:99999999/dpo'",
      expected: "Invalid URL: 'postgresql://dpo:***@h:99999999/dpo'",
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const url = `postgresql://dpo:${encodeURIComponent(c.password)}@127.0.0.1:5432/dpo`;
      equal(redactText(c.text, secretsFor(c.password, url)), c.expected);
    });
  }
});

Deno.test("PGPASSWORD is hidden where a message quotes it", () => {
  equal(
    redactText("role \"ann\" has password 'hunter2'", { passwords: ["hunter2"], shown: ["ann"] }),
    "role \"ann\" has password '***'",
  );
});
