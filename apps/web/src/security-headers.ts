/** On every answer: pages, API, downloads and static files (next.config.ts, compressed-downloads.ts). */
export const securityHeaders = [
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
export const nonDocumentPolicy = {
  key: "Content-Security-Policy",
  value: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};
