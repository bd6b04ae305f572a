import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The installers served as /install.sh and /install.ps1, kept as files in agent-bun/install/. */
export const installScripts = ["install.sh", "install.ps1"] as const;
export type InstallScript = (typeof installScripts)[number];

/** Where a script says the server is; replaced by this server's URL when served. */
export const serverUrlPlaceholder = "@REDFLAG_SERVER_URL@";

/**
 * A host name, IPv4 address or bracketed IPv6 address, with an optional port: nothing that could
 * end the quoted string the URL goes into, so a made-up Host header cannot put code in a script.
 */
const hostPattern =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;

/**
 * The URL agents reach this server at, as the request names it: its Host and scheme, or behind a
 * trusted proxy (REDFLAG_TRUST_PROXY) the proxy's X-Forwarded-Host and X-Forwarded-Proto. Null when
 * they are not a plain host and http/https.
 */
export function publicServerUrl(request: Request, trustProxy: boolean): string | null {
  const forwarded = (name: string) =>
    trustProxy ? (request.headers.get(name)?.split(",")[0]?.trim() ?? null) : null;
  const host = forwarded("x-forwarded-host") || request.headers.get("host");
  const scheme = forwarded("x-forwarded-proto")?.toLowerCase() || new URL(request.url).protocol.slice(0, -1);
  if (!host || !hostPattern.test(host) || (scheme !== "http" && scheme !== "https")) return null;
  const port = Number(host.match(/:([0-9]+)$/)?.[1] ?? 0);
  if (port > 65_535) return null;
  return `${scheme}://${host}`;
}

/** The script's text with this server's URL in it, or null when this checkout does not have it. */
export async function renderInstallScript(
  repositoryRoot: string,
  script: InstallScript,
  serverUrl: string,
): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(join(repositoryRoot, "agent-bun", "install", script), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  return text.replaceAll(serverUrlPlaceholder, serverUrl);
}

/** GET /install.sh and /install.ps1: the script as text, for `curl … | sh` and `irm … | iex`. */
export async function serveInstallScript(
  request: Request,
  script: InstallScript,
  server: { repositoryRoot: string; trustProxy: boolean },
): Promise<Response> {
  const headers = { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" };
  const serverUrl = publicServerUrl(request, server.trustProxy);
  if (serverUrl === null) {
    return new Response(
      "The request's Host (or X-Forwarded-Host/-Proto) is not a plain host name and port.\n",
      {
        status: 400,
        headers,
      },
    );
  }
  const text = await renderInstallScript(server.repositoryRoot, script, serverUrl);
  if (text === null)
    return new Response(`${script} is not available on this server.\n`, { status: 404, headers });
  return new Response(text, { headers });
}
