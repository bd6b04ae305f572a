"use client";

import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "~/trpc/react";
import { type InstallChoice, InstallDialog } from "./install-dialog";
import { ProxmoxCluster } from "./proxmox-tree";
import { EmptyState, PageHeader } from "./ui/basics";
import { QueryState } from "./ui/query-state";
import { useSubtreeInstall } from "./use-subtree-install";

/** The Proxmox hierarchy: cluster → node → LXC/VM → Docker images, each level with its update counts. */
export function ProxmoxView() {
  const trpc = useTRPC();
  const tree = useQuery({ ...trpc.proxmox.tree.queryOptions(), refetchInterval: 30_000 });
  const [choice, setChoice] = useState<InstallChoice | null>(null);
  const subtree = useSubtreeInstall((updates) => setChoice({ updates, matching: null }));
  return (
    <>
      <PageHeader
        title="Proxmox"
        description="Nodes, their LXC containers and VMs, and the Docker images on each host. A guest's agent is linked by the identity its node reads of it (an LXC's machine id, a VM's SMBIOS UUID), never by its name."
      />
      {subtree.message ? (
        <p className={subtree.failed ? "form-error" : "muted"} role={subtree.failed ? "alert" : "status"}>
          {subtree.message}
        </p>
      ) : null}
      <QueryState query={tree} what="the Proxmox hierarchy">
        {(data) =>
          data.clusters.length === 0 ? (
            <EmptyState title="No Proxmox VE node reports yet">
              An agent on a Proxmox VE node sends its cluster, LXC containers and VMs with its next scan.
            </EmptyState>
          ) : (
            data.clusters.map((cluster) => (
              <ProxmoxCluster
                key={cluster.name ?? ""}
                cluster={cluster}
                onInstall={subtree.start}
                loading={subtree.loading}
              />
            ))
          )
        }
      </QueryState>
      {choice ? (
        <InstallDialog
          choice={choice}
          onClose={() => setChoice(null)}
          onInstalled={() => void tree.refetch()}
        />
      ) : null}
    </>
  );
}
