import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { signingKeyFingerprint } from "@redflag/contracts/signing";
import { Language, type Node, Parser } from "web-tree-sitter";
import { windowsOneLiner } from "../../../../apps/web/src/lib/install-commands.ts";
import { serverUrlPlaceholder } from "../../../../apps/web/src/server/install-scripts.ts";
import { agentTargets } from "../../../build.ts";
import { main } from "../../../src/cli/main.ts";
import { readEnvironment } from "../../../src/environment.ts";

/**
 * install.ps1 cannot run here (no PowerShell on Debian; Wine's powershell.exe is a stub). So it is
 * parsed with tree-sitter's PowerShell grammar, and what it calls is checked: every cmdlet and its
 * parameters against Windows PowerShell 5.1's (fixtures/cmdlet-parameters.txt), every agent flag
 * against the agent's own --help, its SHA256SUMS pattern against the file build:agents writes, its
 * hash comparison against Get-FileHash's upper-case output, and its parameters against the command
 * the dashboard shows.
 */
const scriptPath = resolve(import.meta.dir, "../../../install/install.ps1");
const script = readFileSync(scriptPath, "utf8");
let parser: Parser;

beforeAll(async () => {
  await Parser.init();
  const grammar = join(
    dirname(require.resolve("tree-sitter-powershell/package.json")),
    "tree-sitter-powershell.wasm",
  );
  parser = new Parser();
  parser.setLanguage(await Language.load(grammar));
});

function parse(text: string): Node {
  const tree = parser.parse(text);
  if (tree === null) throw new Error("the parser returned nothing");
  return tree.rootNode;
}

function problems(root: Node): string[] {
  return root
    .descendantsOfType(["ERROR"])
    .filter((node): node is Node => node !== null)
    .map((node) => `line ${node.startPosition.row + 1}: ${node.text.slice(0, 60)}`)
    .concat(root.hasError && root.descendantsOfType("ERROR").length === 0 ? ["a missing token"] : []);
}

type Invocation = { name: string; parameters: string[]; positional: number; line: number };

function invocations(root: Node): Invocation[] {
  return root
    .descendantsOfType("command")
    .filter((node): node is Node => node !== null)
    .map((node) => {
      const elements = node.childForFieldName("command_elements");
      const parts =
        elements?.namedChildren.filter(
          (child): child is Node => child !== null && child.type !== "command_argument_sep",
        ) ?? [];
      let positional = 0;
      let previousWasParameter = false;
      for (const part of parts) {
        if (part.type === "command_parameter") {
          previousWasParameter = true;
          continue;
        }
        // A switch takes no value, so what follows it is positional; every parameter used here with a value is not a switch.
        if (!previousWasParameter) positional++;
        previousWasParameter = false;
      }
      return {
        name: node.childForFieldName("command_name")?.text ?? "",
        parameters: parts.filter((part) => part.type === "command_parameter").map((part) => part.text),
        positional,
        line: node.startPosition.row + 1,
      };
    });
}

const switches = new Set(["-UseBasicParsing", "-Recurse", "-Force"]);

function cmdletFixture() {
  const lines = readFileSync(join(import.meta.dir, "fixtures/cmdlet-parameters.txt"), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
  const cmdlets = new Map<string, { parameters: Set<string>; positional: number }>();
  let common = new Set<string>();
  for (const line of lines) {
    const [name, rest = ""] = line.split(": ");
    const [parameters = "", positional = ""] = rest.split(" ; ");
    const names = new Set(parameters.split(" ").filter(Boolean));
    if (name === "common") common = names;
    else if (name !== undefined)
      cmdlets.set(name, { parameters: names, positional: Number(positional.replace("positional ", "")) });
  }
  return { cmdlets, common };
}

describe("install.ps1", () => {
  test("parses as PowerShell, and the parser does find a broken copy", () => {
    expect(problems(parse(script))).toEqual([]);
    const broken = script.replace("if ($Uninstall) {", "if ($Uninstall {");
    expect(problems(parse(broken)).length).toBeGreaterThan(0);
  });

  test("runs in strict mode and stops on the first error", () => {
    const statements = invocations(parse(script));
    expect(statements[0]).toMatchObject({ name: "Set-StrictMode", parameters: ["-Version"] });
    expect(script).toContain("Set-StrictMode -Version Latest");
    expect(script).toMatch(/^\$ErrorActionPreference = 'Stop'$/m);
  });

  test("calls only PowerShell 5.1 cmdlets, with parameters they have, and its own functions", () => {
    const { cmdlets, common } = cmdletFixture();
    const root = parse(script);
    const functions = new Set(
      root
        .descendantsOfType("function_statement")
        .map((node) => node?.childForFieldName("function_name")?.text ?? node?.namedChildren[0]?.text ?? ""),
    );
    expect([...functions].sort()).toEqual(["Fail", "Invoke-Agent", "Say"]);
    const unknown: string[] = [];
    for (const call of invocations(root)) {
      if (call.name.startsWith("$")) continue; // & $Exe: the downloaded agent (checked below)
      if (functions.has(call.name)) continue;
      const cmdlet = cmdlets.get(call.name);
      if (cmdlet === undefined) {
        unknown.push(`line ${call.line}: ${call.name} is no cmdlet of PowerShell 5.1's listed`);
        continue;
      }
      for (const parameter of call.parameters) {
        if (!cmdlet.parameters.has(parameter) && !common.has(parameter)) {
          unknown.push(`line ${call.line}: ${call.name} has no ${parameter}`);
        }
      }
      const valueless = call.parameters.filter((parameter) => switches.has(parameter)).length;
      if (call.positional - valueless > cmdlet.positional) {
        unknown.push(`line ${call.line}: ${call.name} takes ${cmdlet.positional} positional arguments`);
      }
    }
    expect(unknown).toEqual([]);
    // The cmdlets that do the work are all there.
    const called = new Set(invocations(root).map((call) => call.name));
    for (const name of ["Invoke-WebRequest", "Get-FileHash", "Get-Content", "Copy-Item", "Remove-Item"]) {
      expect(called).toContain(name);
    }
  });

  test("gives the agent only flags its --help lists, as the service installer takes them", async () => {
    let help = "";
    await main(["--help"], readEnvironment({}), {
      stdout: (text) => (help += text),
      stderr: () => {},
      columns: 200,
    });
    const flags = new Set(script.match(/'--[a-z-]+'/g)?.map((flag) => flag.slice(1, -1)));
    expect([...flags].sort()).toEqual([
      "--fingerprint",
      "--install-service",
      "--purge",
      "--server",
      "--token",
      "--uninstall-service",
    ]);
    for (const flag of flags) expect(help).toContain(flag);
  });

  test("downloads the file build:agents names for Windows, and finds it in SHA256SUMS as build:agents writes it", () => {
    const windows = agentTargets.filter((target) => target.os === "windows").map((target) => target.file);
    expect(windows).toEqual(["redflag-agent-windows-x64.exe"]);
    expect(script).toContain(`$target = '${windows[0]}'`);
    expect(script).toContain('"downloads/$target"');
    expect(script).toContain("'downloads/SHA256SUMS'");
    const pattern = /\$line -match '([^']+)' -and \$Matches\[2\] -eq \$target/.exec(script)?.[1];
    expect(pattern).toBeDefined();
    const line = new RegExp(pattern ?? "");
    // build.ts writes "<sha256>  <file>"; sha256sum -b writes "<sha256> *<file>".
    const sha = createHash("sha256").update("x").digest("hex");
    expect(line.exec(`${sha}  redflag-agent-windows-x64.exe`)?.slice(1)).toEqual([
      sha,
      "redflag-agent-windows-x64.exe",
    ]);
    expect(line.exec(`${sha} *redflag-agent-windows-x64.exe`)?.[2]).toBe("redflag-agent-windows-x64.exe");
    expect(line.exec(`${sha.slice(1)}  redflag-agent-windows-x64.exe`)).toBeNull();
  });

  test("compares Get-FileHash's upper-case hash with SHA256SUMS's lower case", () => {
    const recorded = readFileSync(join(import.meta.dir, "fixtures/get-filehash.txt"), "utf8");
    const hash = /SHA256\s+([0-9A-F]{64})\s/.exec(recorded)?.[1] ?? "";
    expect(hash.toLowerCase()).toBe(createHash("sha256").update("").digest("hex"));
    expect(hash).not.toBe(hash.toLowerCase());
    expect(script).toContain("(Get-FileHash -Algorithm SHA256 -LiteralPath $exe).Hash.ToLowerInvariant()");
    expect(script).toContain("$expected = $Matches[1].ToLowerInvariant()");
    expect(script).toContain("if ($actual -ne $expected)");
  });

  test("checks the token and fingerprint as the dashboard makes them", () => {
    const tokenPattern = new RegExp(/\$Token -notmatch '([^']+)'/.exec(script)?.[1] ?? "^$");
    const fingerprintPattern = new RegExp(/\$Fingerprint -notmatch '([^']+)'/.exec(script)?.[1] ?? "^$");
    expect(tokenPattern.test("rf_reg_APfiUWmUg6kcqrmbfW7KClw5Pn05mI8MigAYTIxrGJs")).toBe(true);
    expect(tokenPattern.test("short")).toBe(false);
    expect(tokenPattern.test("rf_reg_with space inside")).toBe(false);
    // The form the dashboard shows (unpadded base64, as ssh-keygen prints it).
    const fingerprint = signingKeyFingerprint(new Uint8Array(32).fill(7));
    expect(fingerprint).not.toEndWith("=");
    expect(fingerprintPattern.test(fingerprint)).toBe(true);
    expect(fingerprintPattern.test("SHA256:abc")).toBe(false);
    expect(fingerprintPattern.test(fingerprint.replace("SHA256:", "MD5:"))).toBe(false);
  });

  test("takes the parameters the dashboard's one-liner passes, and the server fills in its URL", () => {
    const root = parse(script);
    // The script's own param() block, not its functions'.
    const block = root.namedChildren.find((node) => node?.type === "param_block");
    const declared = (block?.descendantsOfType("script_parameter") ?? []).map(
      (node) => node?.descendantsOfType("variable")[0]?.text ?? "",
    );
    expect(declared).toEqual(["$Token", "$Fingerprint", "$Server", "$AlsoServer", "$Uninstall", "$Purge"]);
    const oneLiner = windowsOneLiner({
      server: "http://redflag.lan:8080",
      token: "rf_reg_0123456789",
      fingerprint: "SHA256:abc",
    });
    for (const parameter of oneLiner.match(/ -[A-Z][a-z]+/g) ?? []) {
      expect(declared).toContain(`$${parameter.trim().slice(1)}`);
    }
    expect(script.split(serverUrlPlaceholder).length).toBe(2);
    expect(script).toContain(`[string]$Server = '${serverUrlPlaceholder}'`);
    // Filled in with a URL, it still parses.
    expect(problems(parse(script.replaceAll(serverUrlPlaceholder, "http://redflag.lan:8080")))).toEqual([]);
  });

  test("checks it runs as Administrator before anything else, and -Purge only with -Uninstall", () => {
    const administrator = script.indexOf("[Security.Principal.WindowsBuiltInRole]::Administrator");
    expect(administrator).toBeGreaterThan(0);
    expect(administrator).toBeLessThan(script.indexOf("Invoke-WebRequest"));
    expect(administrator).toBeLessThan(script.indexOf("if ($Uninstall) {"));
    expect(script).toContain("if ($Purge -and -not $Uninstall)");
    // exit inside a script block run with & would close the Administrator window: failures throw.
    expect(invocations(parse(script)).some((call) => call.name === "exit")).toBe(false);
    expect(script).not.toMatch(/^\s*exit\b/m);
  });

  test("enables TLS 1.2 for Windows PowerShell 5.1 before downloading", () => {
    const tls = script.indexOf("[Net.SecurityProtocolType]::Tls12");
    expect(tls).toBeGreaterThan(0);
    expect(tls).toBeLessThan(script.indexOf("Invoke-WebRequest"));
  });
});
