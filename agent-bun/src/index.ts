import { currentEnvironment } from "./environment.ts";

const argv = process.argv.slice(2);
const environment = currentEnvironment();
const io = {
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
};
// The daemon never loads the CLI's parser or tables (see daemon/start.ts).
const daemonOnly = argv.length === 0 || (argv.length === 1 && argv[0] === "--daemon");
// The trial run of a new binary during an agent update (lifecycle/trial.ts): not a user command.
const updateTrial = argv[0] === "--update-trial";
// How the Windows service manager starts the installed exe (service/windows/run-service.ts).
const windowsService = argv[0] === "--service" && environment.platform === "win32";
process.exitCode = daemonOnly
  ? await (await import("./daemon/start.ts")).runDaemonMode(environment, io.stderr)
  : windowsService
    ? await (await import("./service/windows/run-service.ts")).runWindowsService(argv.slice(1), environment)
    : updateTrial
      ? await (await import("./lifecycle/trial.ts")).runUpdateTrial(argv.slice(1), environment, io)
      : await (await import("./cli/main.ts")).main(argv, environment, io);
