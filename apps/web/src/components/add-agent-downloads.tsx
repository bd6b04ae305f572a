import type { AgentManifestFile } from "~/server/agent-manifest";
import { DataTable } from "./ui/data-table";

/** How an admin tells the binaries apart: the OS, the CPU and, on Linux, the C library. */
export function platformLabel(file: Pick<AgentManifestFile, "os" | "arch" | "libc">): string {
  if (file.os === "windows") return `Windows ${file.arch}`;
  const libc = file.libc === "musl" ? "musl: Alpine" : "glibc: Debian, Ubuntu, Fedora, RHEL…";
  return `Linux ${file.arch} (${libc})`;
}

function size(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export type AgentDownloads = { files: AgentManifestFile[]; version: string } | { problem: string };

export function AgentDownloadsCard({ downloads, server }: { downloads: AgentDownloads; server: string }) {
  return (
    <section className="card" aria-labelledby="downloads-title">
      <h2 id="downloads-title">Agent downloads</h2>
      {"problem" in downloads ? (
        <p className="form-error">{downloads.problem}</p>
      ) : (
        <>
          <p className="muted">
            Agent {downloads.version}: single-file binaries served by this server ({server}/downloads/…);
            nothing is fetched from elsewhere. Every x64 binary runs on CPUs without AVX2. The musl ones need
            Alpine's <code>libstdc++</code> package.
          </p>
          <DataTable
            rows={downloads.files}
            rowKey={(file) => file.file}
            columns={[
              { key: "platform", header: "For", cell: platformLabel },
              {
                key: "file",
                header: "File",
                className: "mono",
                cell: (file) => (
                  <a href={`/downloads/${file.file}`} download>
                    {file.file}
                  </a>
                ),
              },
              { key: "size", header: "Size", className: "nowrap", cell: (file) => size(file.size) },
              { key: "sha256", header: "SHA-256", className: "mono", cell: (file) => file.sha256 },
            ]}
          />
        </>
      )}
    </section>
  );
}
