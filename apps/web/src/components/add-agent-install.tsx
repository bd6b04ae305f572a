"use client";

import { useQuery } from "@tanstack/react-query";
import { formatDateTime, formatRelative } from "~/lib/format";
import { type InstallInputs, linuxOneLiner, windowsOneLiner } from "~/lib/install-commands";
import { useTRPC } from "~/trpc/react";
import type { AgentDownloads } from "./add-agent-downloads";
import { ManualSteps } from "./add-agent-manual-steps";
import type { CreatedToken } from "./add-agent-token-form";
import { CommandBlock } from "./command-block";
import { CopyButton } from "./copy-button";
import { QueryState } from "./ui/query-state";
import { useInstallScripts } from "./use-install-scripts";

/**
 * The created token and what to run with it. The commands wait for the server's key fingerprint:
 * agents pin it at registration, so a command without it would install on trust.
 */
export function InstallCommands(props: { token: CreatedToken; server: string; downloads: AgentDownloads }) {
  const trpc = useTRPC();
  const keys = useQuery(trpc.signingKeys.current.queryOptions());
  return (
    <QueryState query={keys} what="the server's key fingerprint">
      {(data) => <Commands {...props} fingerprint={data.activeFingerprint} />}
    </QueryState>
  );
}

function Commands({
  token,
  server,
  fingerprint,
  downloads,
}: {
  token: CreatedToken;
  server: string;
  fingerprint: string;
  downloads: AgentDownloads;
}) {
  const inputs: InstallInputs = { server, token: token.token, fingerprint };
  const scripts = useInstallScripts();
  return (
    <section className="card highlight" aria-labelledby="install-title">
      <h2 id="install-title">Install commands for “{token.label}”</h2>
      <p>
        This token is shown once. It registers up to {token.seats} machine{token.seats === 1 ? "" : "s"} until{" "}
        {formatDateTime(token.expiresAt)} ({formatRelative(token.expiresAt)}).
      </p>
      <div className="token-line">
        <span>Token</span>
        <code data-testid="registration-token">{token.token}</code>
        <CopyButton text={token.token} label="Copy token" />
      </div>
      <div className="token-line">
        <span>Server key fingerprint</span>
        <code data-testid="server-fingerprint">{fingerprint}</code>
      </div>
      {scripts.data?.linux ? (
        <>
          <h3>Linux (x64 or arm64; glibc or musl)</h3>
          <p className="muted">
            As root, or as a user who may use sudo. The script picks the binary for this machine's CPU and C
            library, says which, checks its SHA-256 and installs the agent as a systemd service.
          </p>
          <CommandBlock text={linuxOneLiner(inputs)} label="Copy Linux command" testId="linux-install" />
        </>
      ) : null}
      {scripts.data?.windows ? (
        <>
          <h3>Windows, in PowerShell as Administrator</h3>
          <CommandBlock
            text={windowsOneLiner(inputs)}
            label="Copy Windows command"
            testId="windows-install"
            scrolls
          />
        </>
      ) : null}
      <ManualSteps inputs={inputs} downloads={downloads} open={scripts.data?.linux === false} />
    </section>
  );
}
