import type { LeasedCommand, RebootParameters, ReportResultInput } from "@redflag/contracts";
import { rebootParametersSchema } from "@redflag/contracts";
import { z } from "zod";
import { describeError, tailOfOutput } from "../errors.ts";
import { runProgram } from "../host/run.ts";
import { logger } from "../logging.ts";
import { type BootIdentity, bootIdentitySchema, currentBootIdentity, hasRebooted } from "./boot-identity.ts";
import { clearMarker, readMarker, writeMarker } from "./markers.ts";

const log = logger("lifecycle");

/** After the delay, the host has this long to go down, come back and check in before the reboot counts as failed. */
const rebootGraceMs = 20 * 60_000;

export const rebootMarkerSchema = z.object({
  commandId: z.string().regex(/^cmd_[0-9a-z]{26}$/),
  startedAt: z.coerce.date(),
  deadline: z.coerce.date(),
  before: bootIdentitySchema,
});
export type RebootMarker = z.infer<typeof rebootMarkerSchema>;

/**
 * The shutdown command line. Linux's shutdown counts in minutes (`+N`, `now`), so a delay is rounded
 * up; Windows' counts in seconds. The message is one argv element, never parsed by a shell.
 */
export function shutdownArgv(platform: NodeJS.Platform, parameters: RebootParameters): string[] {
  const message = parameters.message ? [parameters.message] : [];
  if (platform === "win32") {
    return [
      "shutdown.exe",
      "/r",
      "/t",
      String(parameters.delaySeconds),
      ...(message.length > 0 ? ["/c", ...message] : []),
    ];
  }
  const when = parameters.delaySeconds === 0 ? "now" : `+${Math.ceil(parameters.delaySeconds / 60)}`;
  return ["shutdown", "-r", when, ...message];
}

type Outcome = Omit<ReportResultInput, "commandId" | "startedAt" | "finishedAt">;

function failed(output: string, exitCode: number | null = null): Outcome {
  return { status: "failed", exitCode, output, items: [], result: {} };
}

export type RebootOptions = {
  markerPath: string;
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  /** Whether an install or rollback is running now: a reboot then waits for another command. */
  isInstallRunning?: () => boolean;
  bootIdentity?: () => BootIdentity;
  now?: () => Date;
};

/**
 * Records which boot this is, then asks the OS to reboot. Null when the reboot is under way: the
 * result is reported after the next start (`finishReboot`), when the boot has changed.
 */
export async function startReboot(command: LeasedCommand, options: RebootOptions): Promise<Outcome | null> {
  const parsed = rebootParametersSchema.safeParse(command.parameters);
  if (!parsed.success)
    return failed(
      `Invalid reboot parameters: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`,
    );
  if (options.isInstallRunning?.())
    return failed("Refused: an install is running on this host; reboot after it has finished");
  const platform = options.platform ?? process.platform;
  const now = options.now?.() ?? new Date();
  let before: BootIdentity;
  try {
    before = (options.bootIdentity ?? (() => currentBootIdentity(platform)))();
  } catch (error) {
    return failed(
      `Cannot tell which boot this is, so a reboot could not be verified: ${describeError(error)}`,
    );
  }
  const marker: RebootMarker = {
    commandId: command.id,
    startedAt: now,
    deadline: new Date(now.getTime() + parsed.data.delaySeconds * 1000 + rebootGraceMs),
    before,
  };
  // Written first: `shutdown now` may stop this process before it returns.
  writeMarker(options.markerPath, marker);
  const argv = shutdownArgv(platform, parsed.data);
  try {
    const result = await runProgram(argv, {
      source: "process",
      env: options.env ?? process.env,
      timeoutMs: 60_000,
      maxOutputBytes: 64 * 1024,
    });
    if (result.exitCode !== 0 || result.timedOut) {
      clearMarker(options.markerPath);
      return failed(
        `${argv.join(" ")} ${result.timedOut ? "did not finish" : `exited with ${result.exitCode}`}: ${
          tailOfOutput(`${result.stdout}\n${result.stderr}`) || "no output"
        }`,
        result.exitCode,
      );
    }
    log.info("Reboot requested: {argv}", { argv: argv.join(" ") });
    return null;
  } catch (error) {
    clearMarker(options.markerPath);
    return failed(`Cannot run ${argv[0]}: ${describeError(error)}`);
  }
}

/**
 * After a check-in: a pending reboot succeeded when the boot changed, failed when its deadline passed
 * in the same boot; otherwise it is still to come (a delayed reboot) and nothing is reported yet.
 */
export function finishReboot(options: {
  markerPath: string;
  bootIdentity?: () => BootIdentity;
  now?: () => Date;
}): ReportResultInput | null {
  const marker = readMarker(options.markerPath, rebootMarkerSchema);
  if (!marker) return null;
  const now = options.now?.() ?? new Date();
  let current: BootIdentity;
  try {
    current = (options.bootIdentity ?? currentBootIdentity)();
  } catch (error) {
    clearMarker(options.markerPath);
    return report(marker, now, failed(`Cannot tell whether the host rebooted: ${describeError(error)}`));
  }
  if (hasRebooted(marker.before, current)) {
    clearMarker(options.markerPath);
    return report(marker, now, {
      status: "succeeded",
      exitCode: 0,
      output: `Rebooted at ${current.bootedAt.toISOString()}`,
      items: [],
      result: { bootedAt: current.bootedAt.toISOString(), bootId: current.bootId },
    });
  }
  if (now.getTime() < marker.deadline.getTime()) return null;
  clearMarker(options.markerPath);
  return report(
    marker,
    now,
    failed(
      `The host did not reboot by ${marker.deadline.toISOString()}: it is still in the boot of ${current.bootedAt.toISOString()}`,
    ),
  );
}

function report(marker: RebootMarker, now: Date, outcome: Outcome): ReportResultInput {
  return {
    commandId: marker.commandId as ReportResultInput["commandId"],
    startedAt: marker.startedAt,
    finishedAt: now,
    ...outcome,
  };
}
