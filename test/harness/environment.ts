/** The one place the test harness reads the environment. */
export const testEnvironment = {
  /** A Postgres server to test against (a fresh database per test file); unset = embedded PGlite. */
  postgresUrl: process.env.REDFLAG_TEST_POSTGRES_URL || null,
};
