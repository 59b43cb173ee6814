/**
 * The checkout's paths as the scripts and tests run dpo from them: decoded, since a checkout in
 * "/tmp/my dpo" has "%20" in its URL.
 */

/** The checkout's folder, without a trailing slash. */
export const REPO_ROOT = decodeURIComponent(new URL("../..", import.meta.url).pathname)
  .replace(/\/$/, "");

/** dpo's entry point, main.ts. */
export const MAIN = `${REPO_ROOT}/main.ts`;
