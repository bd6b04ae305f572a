/**
 * Builds the publishable package: dist/index.js (ESM, its npm dependencies left as imports) and
 * dist/index.d.ts, one declaration file that carries the whole router type without any @redflag/*
 * package. The router type is expanded by the TypeScript compiler itself (declaration emit of a value
 * whose type is the client's view of the router), then the declarations are bundled.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { generateDtsBundle } from "dts-bundle-generator";
import ts from "typescript";

const packageDirectory = import.meta.dir;
const sourceDirectory = join(packageDirectory, "src");
const distDirectory = join(packageDirectory, "dist");
/** Intermediate files; inside the package so that its node_modules resolve @trpc/server. */
const workDirectory = join(packageDirectory, ".build");
const manifest = JSON.parse(readFileSync(join(packageDirectory, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};
const dependencies = Object.keys(manifest.dependencies);

/** The compiler options of the repository, set to write declarations only. */
function compilerOptions(outDir: string): ts.CompilerOptions {
  const configPath = resolve(packageDirectory, "../../tsconfig.base.json");
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  const { options } = ts.convertCompilerOptionsFromJson(config.compilerOptions, dirname(configPath));
  return {
    ...options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    outDir,
    rootDir: packageDirectory,
    // The server's sources use Bun's globals; the client's own declarations must not.
    types: ["bun"],
  };
}

function failOnDiagnostics(diagnostics: readonly ts.Diagnostic[], what: string) {
  if (diagnostics.length === 0) return;
  const text = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => packageDirectory,
    getNewLine: () => "\n",
  });
  throw new Error(`${what}:\n${text}`);
}

/** Module specifiers a declaration file refers to (imports and `import("…")` types). */
function referencedModules(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/(?:from\s+|import\()\s*["']([^"']+)["']/g))
    found.add(match[1] as string);
  return [...found];
}

function isDependency(specifier: string): boolean {
  return dependencies.some((name) => specifier === name || specifier.startsWith(`${name}/`));
}

/**
 * The router as plain types: TypeScript writes the inferred type of a value structurally (every input
 * and output spelled out), so a value whose type maps over the client's router record gives it
 * without a reference to the server's modules.
 */
function expandedRouterDeclarations(): string {
  const expansionPath = join(workDirectory, "expand-router.ts");
  writeFileSync(
    expansionPath,
    `import type { ClientErrorShape, ClientRouterRecord } from "../src/router.ts";
declare function expandRecord<Record>(record: Record): {
  [Domain in keyof Record]: { [Procedure in keyof Record[Domain]]: Record[Domain][Procedure] };
};
declare function expandShape<Shape>(shape: Shape): { [Key in keyof Shape]: Shape[Key] };
declare const record: ClientRouterRecord;
declare const errorShape: ClientErrorShape;
export const AppRouterRecord = expandRecord(record);
export const AppRouterErrorShape = expandShape(errorShape);
`,
  );
  const program = ts.createProgram([expansionPath], compilerOptions(join(workDirectory, "expanded")));
  const source = program.getSourceFile(expansionPath);
  if (!source) throw new Error(`cannot read ${expansionPath}`);
  failOnDiagnostics(
    [...program.getSemanticDiagnostics(source), ...program.getDeclarationDiagnostics(source)],
    "the router type does not expand",
  );
  let emitted = "";
  const result = program.emit(source, (fileName, text) => {
    if (fileName.endsWith(".d.ts")) emitted = text;
  });
  failOnDiagnostics(result.diagnostics, "declaration emit failed");

  // `export declare const X: T;` → `export type X = T;`
  const parsed = ts.createSourceFile("expanded.d.ts", emitted, ts.ScriptTarget.Latest, true);
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const aliases: string[] = [];
  for (const statement of parsed.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!declaration.type || !ts.isIdentifier(declaration.name)) continue;
      const alias = ts.factory.createTypeAliasDeclaration(
        [ts.factory.createModifier(ts.SyntaxKind.ExportKeyword)],
        declaration.name.text,
        undefined,
        declaration.type,
      );
      aliases.push(printer.printNode(ts.EmitHint.Unspecified, alias, parsed));
    }
  }
  const body = aliases.join("\n");
  const foreign = referencedModules(body).filter((specifier) => !isDependency(specifier));
  if (aliases.length !== 2 || foreign.length > 0) {
    throw new Error(
      `the expanded router type still refers to ${foreign.join(", ") || "nothing it should"}; ` +
        "is a router nested deeper than src/router.ts maps?",
    );
  }
  return `import type { TRPCBuiltRouter } from "@trpc/server";
${body}
/** The server's router as a client sees it (generated from the server's procedures at build time). */
export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: AppRouterErrorShape; transformer: true },
  AppRouterRecord
>;
`;
}

/** Declarations of src/ with src/router.ts replaced by the expanded router, bundled into one file. */
function writeDeclarations(expandedRouter: string) {
  const declarationsDirectory = join(workDirectory, "types");
  const routerPath = join(sourceDirectory, "router.ts");
  const indexPath = join(sourceDirectory, "index.ts");
  const options = compilerOptions(declarationsDirectory);
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (fileName, languageVersion, ...rest) =>
    resolve(fileName) === routerPath
      ? ts.createSourceFile(fileName, expandedRouter, languageVersion, true)
      : getSourceFile.call(host, fileName, languageVersion, ...rest);
  const program = ts.createProgram([indexPath], { ...options, types: [] }, host);
  failOnDiagnostics(
    ts.getPreEmitDiagnostics(program),
    "the client does not type-check against the expanded router",
  );
  const result = program.emit();
  failOnDiagnostics(result.diagnostics, "declaration emit failed");

  const entry = join(declarationsDirectory, "src", "index.d.ts");
  writeFileSync(
    join(workDirectory, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        allowImportingTsExtensions: true,
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: [],
      },
      files: [entry],
    }),
  );
  const [bundle] = generateDtsBundle([{ filePath: entry, output: { noBanner: true } }], {
    preferredConfigPath: join(workDirectory, "tsconfig.json"),
  });
  if (!bundle) throw new Error("dts-bundle-generator wrote nothing");
  const foreign = referencedModules(bundle).filter((specifier) => !isDependency(specifier));
  if (foreign.length > 0) throw new Error(`dist/index.d.ts refers to ${foreign.join(", ")}`);
  writeFileSync(join(distDirectory, "index.d.ts"), bundle);
}

async function writeJavaScript() {
  const result = await Bun.build({
    entrypoints: [join(sourceDirectory, "index.ts")],
    outdir: distDirectory,
    target: "node",
    format: "esm",
    packages: "external",
  });
  if (!result.success) throw new AggregateError(result.logs, "bun build failed");
  const foreign = referencedModules(readFileSync(join(distDirectory, "index.js"), "utf8")).filter(
    (specifier) => !isDependency(specifier),
  );
  if (foreign.length > 0) throw new Error(`dist/index.js imports ${foreign.join(", ")}`);
}

rmSync(distDirectory, { recursive: true, force: true });
rmSync(workDirectory, { recursive: true, force: true });
mkdirSync(distDirectory, { recursive: true });
mkdirSync(workDirectory, { recursive: true });
try {
  await writeJavaScript();
  writeDeclarations(expandedRouterDeclarations());
} finally {
  rmSync(workDirectory, { recursive: true, force: true });
}
console.log(`built ${distDirectory}/index.js and index.d.ts`);
