import { describe, expect, test } from "bun:test";
import { crossSiteRefusal } from "./origin.ts";

describe("origin check of cookie-authenticated changes", () => {
  test("accepts only the same scheme, host and port", () => {
    const plain = { host: "redflag.example:8080", secure: false };
    expect(crossSiteRefusal({ ...plain, origin: "http://redflag.example:8080" })).toBeNull();
    expect(crossSiteRefusal({ ...plain, origin: "http://REDFLAG.example:8080" })).toBeNull();
    expect(crossSiteRefusal({ ...plain, origin: "https://redflag.example:8080" })).not.toBeNull();
    expect(crossSiteRefusal({ ...plain, origin: "http://redflag.example:8081" })).not.toBeNull();
    expect(crossSiteRefusal({ ...plain, origin: "http://redflag.example" })).not.toBeNull();
    expect(crossSiteRefusal({ ...plain, origin: "http://evil.example:8080" })).not.toBeNull();
    const tls = { host: "redflag.example", secure: true };
    expect(crossSiteRefusal({ ...tls, origin: "https://redflag.example" })).toBeNull();
    expect(crossSiteRefusal({ ...tls, origin: "https://redflag.example:443" })).toBeNull();
    expect(crossSiteRefusal({ ...tls, origin: "http://redflag.example" })).not.toBeNull();
  });

  test("refuses a missing, opaque or unparsable Origin", () => {
    const plain = { host: "redflag.example", secure: false };
    expect(crossSiteRefusal({ ...plain, origin: null })).toContain("Origin header");
    expect(crossSiteRefusal({ ...plain, origin: "null" })).not.toBeNull();
    expect(crossSiteRefusal({ ...plain, origin: "not a url" })).not.toBeNull();
    expect(crossSiteRefusal({ origin: "http://redflag.example", host: null, secure: false })).not.toBeNull();
  });
});
