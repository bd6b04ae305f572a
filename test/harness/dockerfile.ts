/**
 * The repository's Dockerfile read with dockerfile-ast (the parser of the validator the tests lint
 * it with), so that the container tests check and reproduce what the file says, not a copy of it.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DockerfileParser, type Env, type Instruction, type ModifiableInstruction } from "dockerfile-ast";

export const repositoryRoot = resolve(import.meta.dir, "../..");
export const dockerfilePath = join(repositoryRoot, "Dockerfile");

export type DockerInstruction = {
  keyword: string;
  /** `--name=value` flags (COPY --from, HEALTHCHECK --interval…); a flag without a value maps to null. */
  flags: Map<string, string | null>;
  /** The arguments after the flags, as written (line continuations removed, spacing kept). */
  content: string;
  /** 1-based, for messages. */
  line: number;
  instruction: Instruction;
};

export type DockerStage = { name: string | null; image: string; instructions: DockerInstruction[] };

export type ParsedDockerfile = {
  text: string;
  /** ARGs before the first FROM, with their defaults. */
  globalArgs: Map<string, string | null>;
  stages: DockerStage[];
};

export function readDockerfile(path = dockerfilePath): ParsedDockerfile {
  return parseDockerfile(readFileSync(path, "utf8"));
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(text);
  const globalArgs = new Map<string, string | null>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) globalArgs.set(property.getName(), property.getUnescapedValue());
  }
  const stages: DockerStage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const flags = new Map<string, string | null>();
    if ("getFlags" in instruction) {
      for (const flag of (instruction as ModifiableInstruction).getFlags()) {
        flags.set(flag.getName(), flag.getValue());
      }
    }
    const parsed: DockerInstruction = {
      keyword,
      flags,
      content: instruction.getArgumentsContent()?.trim() ?? "",
      line: instruction.getRange().start.line + 1,
      instruction,
    };
    if (keyword === "FROM") {
      const [image = "", as, name] = parsed.content.split(/\s+/);
      stages.push({
        name: as?.toUpperCase() === "AS" && name ? name : null,
        image: expandArguments(image, globalArgs),
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages.at(-1)?.instructions.push(parsed);
    }
  }
  return { text, globalArgs, stages };
}

/** `${NAME}` and `$NAME` in a FROM line, from the global ARGs' defaults (as `docker build` without --build-arg). */
function expandArguments(value: string, args: Map<string, string | null>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? "";
    return args.get(name) ?? whole;
  });
}

export function stageNamed(dockerfile: ParsedDockerfile, name: string): DockerStage {
  const stage = dockerfile.stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`The Dockerfile has no stage named "${name}"`);
  return stage;
}

/** The image `docker build` produces: the last stage. */
export function finalStage(dockerfile: ParsedDockerfile): DockerStage {
  const stage = dockerfile.stages.at(-1);
  if (!stage) throw new Error("The Dockerfile has no FROM");
  return stage;
}

export function instructionsOf(stage: DockerStage, keyword: string): DockerInstruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}

/** The ENV of a stage, in order (later values win), with values unescaped. */
export function environmentOf(stage: DockerStage): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const { instruction } of instructionsOf(stage, "ENV")) {
    for (const property of (instruction as Env).getProperties()) {
      environment[property.getName()] = property.getUnescapedValue() ?? "";
    }
  }
  return environment;
}

/** The stage's working directory (its last WORKDIR; only absolute ones are used in this file). */
export function workingDirectoryOf(stage: DockerStage): string {
  const workdir = instructionsOf(stage, "WORKDIR").at(-1)?.content;
  if (!workdir?.startsWith("/")) throw new Error("The stage has no absolute WORKDIR");
  return workdir;
}

/** The argv of an exec-form (JSON array) CMD, ENTRYPOINT or HEALTHCHECK CMD; throws on the shell form. */
export function execForm(instruction: DockerInstruction): string[] {
  const json =
    instruction.keyword === "HEALTHCHECK" ? instruction.content.replace(/^CMD\s+/, "") : instruction.content;
  let argv: unknown;
  try {
    argv = JSON.parse(json);
  } catch (cause) {
    throw new Error(`${instruction.keyword} on line ${instruction.line} is not in exec (JSON) form`, {
      cause,
    });
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((word) => typeof word === "string")) {
    throw new Error(`${instruction.keyword} on line ${instruction.line} is not a JSON array of strings`);
  }
  return argv;
}

export type DockerCopy = { from: string | null; sources: string[]; destination: string; line: number };

/** A stage's COPY instructions (the only way this Dockerfile puts files into an image). */
export function copiesOf(stage: DockerStage): DockerCopy[] {
  return instructionsOf(stage, "COPY").map((copy) => {
    const paths = copy.content.split(/\s+/);
    const destination = paths.pop();
    if (!destination || paths.length === 0) throw new Error(`COPY on line ${copy.line} has no source`);
    return { from: copy.flags.get("from") ?? null, sources: paths, destination, line: copy.line };
  });
}
