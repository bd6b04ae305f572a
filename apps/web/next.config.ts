import type { NextConfig } from "next";
import { nonDocumentPolicy, securityHeaders } from "./src/security-headers";

/**
 * HSTS where a TLS proxy says the request came over TLS (pages get it from proxy.ts, which also
 * checks REDFLAG_TRUST_PROXY); a browser ignores the header on a plain-HTTP answer anyway.
 */
const overTls = [{ type: "header" as const, key: "x-forwarded-proto", value: "https" }];
const strictTransportSecurity = {
  key: "Strict-Transport-Security",
  value: "max-age=31536000; includeSubDomains",
};

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // CI type-checks with `tsc -p apps/web`; the build should not do it a second time.
  typescript: { ignoreBuildErrors: true },
  // The workspace packages ship TypeScript source.
  transpilePackages: ["@redflag/api", "@redflag/db", "@redflag/contracts"],
  // Native or wasm packages: loaded by Node from node_modules instead of being bundled.
  serverExternalPackages: ["@electric-sql/pglite", "@node-rs/argon2", "postgres"],
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      { source: "/api/:path*", headers: [nonDocumentPolicy] },
      { source: "/downloads/:path*", headers: [nonDocumentPolicy] },
      { source: "/api/:path*", has: overTls, headers: [strictTransportSecurity] },
      { source: "/downloads/:path*", has: overTls, headers: [strictTransportSecurity] },
    ];
  },
};

export default nextConfig;
