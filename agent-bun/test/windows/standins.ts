import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Stand-ins for programs that cannot run here (PowerShell, winget, a broken dnf): a small script
 * named like the program that logs its argv and the environment variables it is told to, then
 * prints a recorded output and exits with a recorded code. The answer is chosen by a key: the
 * first argument, plus `-id` when `--id` is given (`upgrade`, `upgrade-id`, `list-id`);
 * PowerShell's answers use the key `default`. After answering `K`, the stand-in applies `K.then`
 * ("recorded-file answer-key" lines): what a later call answers, e.g. `winget list` after an upgrade.
 */
export class StandIn {
  readonly program: string;
  readonly log: string;

  constructor(
    readonly directory: string,
    name: string,
    options: { loggedVariables?: string[] } = {},
  ) {
    mkdirSync(directory, { recursive: true });
    this.program = join(directory, name);
    this.log = join(directory, `${name}.log`);
    const variables = (options.loggedVariables ?? []).map(
      (variable) => `printf '%s=%s\\n' ${variable} "\${${variable}:-}" >> "$log"`,
    );
    writeFileSync(
      this.program,
      `#!/bin/sh
here=$(dirname "$0"); log="$0.log"
key=default
case "$1" in -*|"") ;; *) key=$1 ;; esac
for argument in "$@"; do [ "$argument" = "--id" ] && key="$key-id"; done
printf 'argv:' >> "$log"; for argument in "$@"; do printf ' [%s]' "$argument" >> "$log"; done; printf '\\n' >> "$log"
${variables.join("\n")}
[ -f "$0.$key.out" ] && cat "$0.$key.out"
if [ -f "$0.$key.then" ]; then
  while read -r from to; do cp "$here/$from" "$0.$to.out"; rm -f "$0.$to.exit"; done < "$0.$key.then"
fi
exit $(cat "$0.$key.exit" 2>/dev/null || echo 0)
`,
    );
    chmodSync(this.program, 0o755);
  }

  /** Answers `key` with a recorded file (or text) and exit code. */
  answer(key: string, output: { file?: string; text?: string }, exitCode = 0): this {
    if (output.file !== undefined) copyFileSync(output.file, `${this.program}.${key}.out`);
    else writeFileSync(`${this.program}.${key}.out`, output.text ?? "");
    writeFileSync(`${this.program}.${key}.exit`, String(exitCode));
    return this;
  }

  /** After answering `key`, later calls of `nextKey` answer with `file` (copied beside the stand-in). */
  afterwards(key: string, nextKey: string, file: string): this {
    const name = `${nextKey}.${Math.random().toString(36).slice(2)}.recorded`;
    copyFileSync(file, join(this.directory, name));
    writeFileSync(`${this.program}.${key}.then`, `${name} ${nextKey}\n`);
    return this;
  }

  calls(): string[] {
    try {
      return readFileSync(this.log, "utf8").trim().split("\n");
    } catch {
      return [];
    }
  }
}
