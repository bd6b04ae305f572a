/**
 * The Docker Engine API on a unix socket, answering what a test sets for a method and path: for
 * the faults a real engine cannot be made to produce on demand (truncated or odd answers, a 500).
 * Everything else is tested on a real dockerd (real-engine.ts). Every call is recorded in order.
 */
export type EngineCall = { method: string; path: string };

type Answer = () => Response;

export class ReplayedEngine {
  readonly calls: EngineCall[] = [];
  readonly #answers = new Map<string, Answer>();
  #server: ReturnType<typeof Bun.serve> | null = null;

  constructor(readonly socketPath: string) {}

  /** `unix:///…`, for the agent's `docker.host`. */
  get host(): string {
    return `unix://${this.socketPath}`;
  }

  /** Answers `METHOD /path` (without the query) with `body`, as JSON unless it is a string. */
  answer(method: string, path: string, body: unknown, status = 200): this {
    this.#answers.set(`${method} ${path}`, () =>
      typeof body === "string"
        ? new Response(body, { status, headers: { "content-type": "application/json" } })
        : Response.json(body, { status }),
    );
    return this;
  }

  start(): this {
    this.#server = Bun.serve({
      unix: this.socketPath,
      fetch: (request) => {
        const url = new URL(request.url);
        const path = url.pathname.replace(/^\/v1\.\d+/, "");
        this.calls.push({ method: request.method, path: `${path}${url.search}` });
        const answer = this.#answers.get(`${request.method} ${path}`);
        return (
          answer?.() ??
          Response.json({ message: `page not found: ${request.method} ${path}` }, { status: 404 })
        );
      },
    });
    return this;
  }

  stop(): void {
    this.#server?.stop(true);
  }
}
