import { currentEnvironment } from "./environment.ts";

const argv = process.argv.slice(2);
const environment = currentEnvironment();
const io = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};
// The daemon never loads the CLI's parser or tables (see daemon/start.ts).
const daemonOnly = argv.length === 0 || (argv.length === 1 && argv[0] === "--daemon");
process.exitCode = daemonOnly
  ? await (await import("./daemon/start.ts")).runDaemonMode(environment, io.stderr)
  : await (await import("./cli/main.ts")).main(argv, environment, io);
