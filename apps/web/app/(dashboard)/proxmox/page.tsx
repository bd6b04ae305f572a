import type { Metadata } from "next";
import { ProxmoxView } from "~/components/proxmox-view";

export const metadata: Metadata = { title: "Proxmox" };

export default function Page() {
  return <ProxmoxView />;
}
