"use client";

import { updateWords } from "@redflag/contracts";
import Link from "next/link";
import { formatBytes, formatDateTime } from "~/lib/format";
import { StatusBadge } from "./ui/basics";
import { Untrusted } from "./ui/text";
import type { UpdateSummary } from "./updates-view";

/** Why an update waits however it is approved: the host holds it, or a hold policy matches it. */
function HeldBadges(update: UpdateSummary) {
  return (
    <>
      {update.hostHeld ? (
        <div title="The host holds this package (apt-mark hold, dnf versionlock): an install fails until the hold is let go there">
          <span className="pill warn">Held on host</span>
        </div>
      ) : null}
      {update.heldByPolicy ? (
        <div title="A hold policy matches this update: it is never approved automatically">
          <span className="pill warn">
            Held by policy <Untrusted text={update.heldByPolicy.name} />
          </span>
        </div>
      ) : null}
    </>
  );
}

/** The cells of one update's row in the updates table; the package's own cell says when it is held (seen first on a phone). */
export function PackageCell(update: UpdateSummary) {
  const words = updateWords(update);
  return (
    <>
      <span className="package-line">
        <Untrusted className="strong" text={words.name} />
        {update.security ? <StatusBadge value="critical" label="Security" /> : null}
      </span>
      {words.detail ? <div className="muted small-text">{words.detail}</div> : null}
      {update.cves.length > 0 ? (
        <div className="muted small-text" title={update.cves.join(", ")}>
          {update.cves.slice(0, 3).join(", ")}
          {update.cves.length > 3 ? ` +${update.cves.length - 3}` : ""}
        </div>
      ) : null}
      <HeldBadges {...update} />
    </>
  );
}

export function VersionCell(update: UpdateSummary) {
  const words = updateWords(update);
  return (
    <span title={update.source ?? undefined}>
      <bdi>{words.currentVersion ?? "—"}</bdi> → <bdi>{words.availableVersion}</bdi>
      {update.sizeBytes ? <div className="muted small-text">{formatBytes(update.sizeBytes)}</div> : null}
    </span>
  );
}

export function StatusCell(update: UpdateSummary) {
  return (
    <>
      <StatusBadge value={update.status} />
      {update.status === "approved" && update.downloadedAt ? (
        <div className="small-text" title={`Downloaded ${formatDateTime(update.downloadedAt)}`}>
          downloaded, waiting for window
        </div>
      ) : null}
      {update.lastCommandId ? (
        <div className="small-text">
          <Link href={`/commands/${update.lastCommandId}`}>last command</Link>
        </div>
      ) : null}
    </>
  );
}
