import postgres from "postgres";

/** Pause between attempts to listen again while the database is away; bounded so it comes back fast. */
const retryDelaysMs = [100, 250, 500, 1_000, 2_000];

/**
 * LISTEN on a connection of its own that is re-established for as long as the process runs.
 * postgres.js's own `listen` re-listens once after its connection closes and gives up if that fails
 * (a restart longer than an instant), which would leave long polls waking only at their time limit.
 * `onListen` runs at every (re)established subscription, so the caller can look again for what was
 * announced while nobody listened.
 */
export async function listenResiliently(
  url: string,
  channel: string,
  onNotify: (payload: string) => void,
  onListen?: () => void,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`Not a plain channel name: ${channel}`);
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  // `onnotify` is how postgres.js's own listen receives notifications; its types leave it out.
  const options = {
    max: 1,
    idle_timeout: 0,
    max_lifetime: 0,
    connect_timeout: 3,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "redflag-listen" },
    onnotify: (received: string, payload: string) => {
      if (received === channel) onNotify(payload);
    },
    onclose: () => {
      if (!stopped) schedule();
    },
  };
  const connection = postgres(url, options as postgres.Options<Record<string, never>>);
  const subscribe = async () => {
    await connection.unsafe(`listen ${channel}`);
    failures = 0;
    onListen?.();
  };
  const schedule = () => {
    clearTimeout(retry);
    const delay = retryDelaysMs[Math.min(failures, retryDelaysMs.length - 1)] ?? 1_000;
    failures++;
    retry = setTimeout(() => {
      if (stopped) return;
      subscribe().catch(() => {
        if (!stopped) schedule();
      });
    }, delay);
    retry.unref?.();
  };
  await subscribe();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await connection.end({ timeout: 1 }).catch(() => {});
  };
}
