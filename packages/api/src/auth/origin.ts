/** What the origin check reads from a request. */
export type OriginFacts = { origin: string | null; host: string | null; secure: boolean };

/**
 * Why a cookie-authenticated change is refused as possibly cross-site, or null when its Origin names
 * exactly the scheme, host and port the request came to (an http page of the same host, or another
 * port, is another site's page).
 *
 * A change without Origin is refused. Browsers send Origin on every request that is not GET or HEAD,
 * same-origin fetches included (the Fetch standard's "append a request Origin header"; Chromium,
 * Firefox and Safari all do), so only non-browser clients leave it out, and those authenticate with an
 * API token, which this check does not concern. `Origin: null` (sandboxed frames, a `no-referrer`
 * policy on a cross-site request) is refused as well. Behind a TLS-terminating proxy the scheme and
 * host are the proxy's (X-Forwarded-Proto / X-Forwarded-Host), read only with REDFLAG_TRUST_PROXY.
 */
export function crossSiteRefusal(request: OriginFacts): string | null {
  if (!request.origin) {
    return "A change made with a session cookie must carry an Origin header; scripts should use an API token";
  }
  if (!request.host) return "The request names no Host to compare its Origin with";
  try {
    const expected = new URL(`${request.secure ? "https" : "http"}://${request.host}`);
    // URL normalises case and default ports, so https://host and https://host:443 are one origin.
    if (new URL(request.origin).origin === expected.origin) return null;
  } catch {
    // An Origin or Host that does not parse is not ours.
  }
  return "Cross-site request refused";
}
