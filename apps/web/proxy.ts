import { type NextRequest, NextResponse } from "next/server";
import { serverEnv } from "~/env";

/**
 * Every page gets a Content-Security-Policy with a fresh nonce: Next puts it on its own inline
 * scripts (it reads it from the request's policy header), so no other inline script runs, and
 * nothing is loaded from anywhere but this server. The other security headers, and the policy of
 * the API and downloads (which the proxy leaves alone, so their request bodies are not buffered
 * twice), are in next.config.ts.
 */
export function proxy(request: NextRequest) {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const overTls = isOverTls(request);
  const policy = contentSecurityPolicy(nonce, { overTls });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", policy);
  if (overTls) response.headers.set("strict-transport-security", "max-age=31536000; includeSubDomains");
  return response;
}

export const config = {
  matcher: [
    {
      source: "/((?!api/|downloads/|metrics$|_next/static|_next/image|icon.svg|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};

/** TLS to this server, or to a trusted reverse proxy that says so (REDFLAG_TRUST_PROXY). */
function isOverTls(request: NextRequest): boolean {
  if (request.nextUrl.protocol === "https:" && !request.headers.has("x-forwarded-proto")) return true;
  if (!serverEnv().config.trustProxy) return false;
  return request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}

function contentSecurityPolicy(nonce: string, options: { overTls: boolean }): string {
  // `next dev` evaluates code for its overlay and fast refresh; production never does.
  const development = process.env.NODE_ENV === "development";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    `style-src 'self' 'nonce-${nonce}'`,
    // Bar widths are style attributes; an attribute cannot run script.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(options.overTls ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}
