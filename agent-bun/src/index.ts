import { main } from "./cli/main.ts";
import { readEnvironment } from "./environment.ts";

const exitCode = await main(process.argv.slice(2), readEnvironment(), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
process.exitCode = exitCode;
