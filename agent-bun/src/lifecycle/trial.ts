import { loadConfig, requireRegistration } from "../config/config.ts";
import type { AgentEnvironment } from "../environment.ts";
import { ExitError, exitCodeFor, exitCodes } from "../errors.ts";
import { AgentConnection } from "../transport/client.ts";
import { agentVersion } from "../version.ts";

export const updateTrialFlag = "--update-trial";

/** What a good trial prints last; the updating process looks for it with the version it expects. */
export function trialPassedLine(version: string): string {
  return `update trial passed: ${version}`;
}

/**
 * The running daemon owns the tokens: renewing here would rotate the refresh token under it (and a
 * replay of the old one revokes the agent). The daemon renews just before the trial instead.
 */
class TrialConnection extends AgentConnection {
  override renew(): Promise<void> {
    return Promise.reject(
      new ExitError("The access token needs renewing; the trial run leaves that to the running agent", {
        exitCode: exitCodes.badToken,
      }),
    );
  }
}

/**
 * `<new binary> --update-trial <command id>`: the new binary, started by the agent that is updating
 * it, proves it can start, read the config, authenticate and speak the server's protocol, by
 * reporting progress on the update command with its own version. It takes no lock and no command.
 */
export async function runUpdateTrial(
  args: string[],
  environment: AgentEnvironment,
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  try {
    const commandId = args[0];
    if (args.length !== 1 || !commandId || !/^cmd_[0-9a-z]{26}$/.test(commandId)) {
      throw new ExitError(`Usage: ${updateTrialFlag} <command id>`, { exitCode: exitCodes.usage });
    }
    const config = requireRegistration(loadConfig(environment));
    const connection = new TrialConnection(config);
    const answer = await connection.call("the update trial", (agent) =>
      agent.reportProgress.mutate({
        commandId: commandId as `cmd_${string}`,
        percent: 80,
        message: `The new agent ${agentVersion} started and reached the server`,
      }),
    );
    if (!answer.accepted) {
      throw new ExitError("The server no longer expects this update (the command is not running)", {
        exitCode: exitCodes.serverRejected,
      });
    }
    io.stdout(`${trialPassedLine(agentVersion)}\n`);
    return exitCodes.ok;
  } catch (error) {
    return exitCodeFor(error, io.stderr);
  }
}
