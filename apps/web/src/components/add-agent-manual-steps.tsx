"use client";

import { useState } from "react";
import { type InstallInputs, linuxManualSteps, windowsManualSteps } from "~/lib/install-commands";
import { type AgentDownloads, platformLabel } from "./add-agent-downloads";
import { CommandBlock } from "./command-block";

/**
 * The same install by hand, for a binary the admin picks: download it, check its SHA-256, register
 * (pinning the server's key) and install the service. Folded when a one-liner does it all.
 */
export function ManualSteps({
  inputs,
  downloads,
  open,
}: {
  inputs: InstallInputs;
  downloads: AgentDownloads;
  open: boolean;
}) {
  const files = "files" in downloads ? downloads.files : [];
  const [chosen, setChosen] = useState<string | null>(null);
  const file = files.find((entry) => entry.file === chosen) ?? files[0];
  return (
    <details className="manual-steps" open={open || undefined}>
      <summary>Install by hand</summary>
      {file ? (
        <>
          <label className="field">
            <span>Binary</span>
            <select value={file.file} onChange={(event) => setChosen(event.target.value)}>
              {files.map((entry) => (
                <option key={entry.file} value={entry.file}>
                  {platformLabel(entry)}
                </option>
              ))}
            </select>
          </label>
          <p className="muted">
            SHA-256 <code className="mono">{file.sha256}</code>
          </p>
          <CommandBlock
            text={
              file.os === "windows"
                ? windowsManualSteps(inputs, file.file)
                : linuxManualSteps(inputs, file.file)
            }
            label="Copy steps"
            testId="manual-install"
            scrolls={file.os === "windows"}
          />
        </>
      ) : (
        <p className="muted">No agent binaries have been built on this server yet (bun run build:agents).</p>
      )}
    </details>
  );
}
