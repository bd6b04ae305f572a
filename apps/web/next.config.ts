import type { NextConfig } from "next";

/** On every answer: pages, API, downloads and static files. */
const securityHeaders = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "same-origin" },
  {
    key: "Permissions-Policy",
    value:
      "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), hid=(), interest-cohort=()",
  },
  { key: "X-Frame-Options", value: "DENY" },
];

/** Answers that are never a document to render: nothing may load or frame them. */
const nonDocumentPolicy = {
  key: "Content-Security-Policy",
  value: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

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
