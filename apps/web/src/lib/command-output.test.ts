import { describe, expect, test } from "bun:test";
import { withoutProgressNoise } from "./command-output";

describe("a command's output as the dashboard shows it", () => {
  test("drops dpkg's database counter and apt's progress bar, keeps every step", () => {
    // As apt-get install writes it to a pipe: the counter redrawn with carriage returns.
    const output = [
      "Reading package lists...",
      "(Reading database ... \r(Reading database ... 5%\r(Reading database ... 95%\r(Reading database ... 100%\r(Reading database ... 7421 files and directories currently installed.)",
      "Preparing to unpack .../rf-normal_1.1-1_all.deb ...",
      "Progress: [ 40%] [##########................]",
      "Unpacking rf-normal (1.1-1) over (1.0-1) ...",
      "Setting up rf-normal (1.1-1) ...",
    ].join("\n");
    expect(withoutProgressNoise(output)).toBe(
      [
        "Reading package lists...",
        "Preparing to unpack .../rf-normal_1.1-1_all.deb ...",
        "Unpacking rf-normal (1.1-1) over (1.0-1) ...",
        "Setting up rf-normal (1.1-1) ...",
      ].join("\n"),
    );
  });

  test("a line that only mentions the counter's words is kept", () => {
    const output = "note: (Reading database ... 5%) is dpkg's counter\nProgress: done";
    expect(withoutProgressNoise(output)).toBe(output);
  });
});
