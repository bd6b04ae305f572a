/** The run's shape, from the environment and `--small`; read once, here. */
export type FaultKind = "server-kill-during-handout" | "server-kill" | "postgres-restart";
export type PlannedFault = { kind: FaultKind /** Seconds into the run. */; atSeconds: number };

export type FleetSettings = {
  small: boolean;
  agents: number;
  seconds: number;
  /** Plain poll interval of the simulated agents when the server does not long-poll. */
  pollSeconds: number;
  /** Longest wait a simulated agent asks for when the server long-polls. */
  waitSeconds: number;
  /** The server's acknowledgement window: a command `sent` longer than this, unheld, is stuck. */
  acknowledgementSeconds: number;
  /**
   * A command `sent` this long, that its agent does not hold, is stuck: the window, then the longest an
   * agent takes to check in again (when the server takes the command back), then 10 s.
   */
  stuckAfterSeconds: number;
  /** 5xx answers are allowed this long after the database or server is back. */
  graceSeconds: number;
  /** After the run: how long agents keep working for every command to finish. */
  drainSeconds: number;
  /** A fault not recovered from (every agent checked in again) within this is a violation. */
  recoverySeconds: number;
  faults: PlannedFault[];
  /** BENCH_FLEET_RECORDS: where to write every request as JSON lines, for looking into a run. */
  recordsPath: string | null;
  postgresUrl: string;
  postgresData: string;
  postgresBin: string;
};

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return value;
}

export function readSettings(argv: string[]): FleetSettings {
  const unknown = argv.filter((argument) => argument !== "--small");
  if (unknown.length > 0) throw new Error(`Unknown argument ${unknown.join(" ")} (only --small is known)`);
  const small = argv.includes("--small");
  const postgresUrl = process.env.REDFLAG_TEST_POSTGRES_URL;
  const postgresData = process.env.REDFLAG_TEST_POSTGRES_DATA;
  const postgresBin = process.env.REDFLAG_TEST_POSTGRES_BIN;
  if (!postgresUrl || !postgresData || !postgresBin) {
    throw new Error(
      "Run through `bun run bench:fleet` (scripts/with-postgres.sh), which starts a PostgreSQL cluster this run may restart",
    );
  }
  const agents = positive("BENCH_FLEET_AGENTS", small ? 100 : 1000);
  const seconds = positive("BENCH_FLEET_SECONDS", small ? 60 : 240);
  if (seconds < 40)
    throw new Error("BENCH_FLEET_SECONDS must be at least 40: the faults need room to recover");
  const acknowledgementSeconds = positive("BENCH_FLEET_ACK_SECONDS", 60);
  // One fault of each kind in the small run; the full run adds a second, untimed server kill.
  const faults: PlannedFault[] = small
    ? [
        { kind: "server-kill-during-handout", atSeconds: Math.round(seconds * 0.3) },
        { kind: "postgres-restart", atSeconds: Math.round(seconds * 0.65) },
      ]
    : [
        { kind: "server-kill-during-handout", atSeconds: Math.round(seconds * 0.25) },
        { kind: "postgres-restart", atSeconds: Math.round(seconds * 0.5) },
        { kind: "server-kill", atSeconds: Math.round(seconds * 0.75) },
      ];
  // Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS (256) requests at once and queues the rest:
  // a thousand held long polls would queue every other call behind them. Each agent has at most two
  // requests in flight (a check-in, and a report or progress), the admin a few more.
  const fetchSlots = Number(process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 256);
  if (fetchSlots < agents * 2 + 64) {
    throw new Error(
      `BUN_CONFIG_MAX_HTTP_REQUESTS must be at least ${agents * 2 + 64} for ${agents} agents (it is ${fetchSlots}); the bench:fleet scripts set it`,
    );
  }
  const pollSeconds = positive("BENCH_FLEET_POLL_SECONDS", agents <= 200 ? 3 : 5);
  const waitSeconds = positive("BENCH_FLEET_WAIT_SECONDS", 25);
  return {
    small,
    agents,
    seconds,
    pollSeconds,
    waitSeconds,
    acknowledgementSeconds,
    stuckAfterSeconds: acknowledgementSeconds + Math.max(pollSeconds * 1.3, waitSeconds) + 10,
    graceSeconds: positive("BENCH_FLEET_GRACE_SECONDS", 5),
    drainSeconds: positive("BENCH_FLEET_DRAIN_SECONDS", acknowledgementSeconds + 45),
    recoverySeconds: positive("BENCH_FLEET_RECOVERY_SECONDS", 60),
    faults,
    recordsPath: process.env.BENCH_FLEET_RECORDS || null,
    postgresUrl,
    postgresData,
    postgresBin,
  };
}
