import type { Metadata } from "next";
import { CommandDetailView } from "~/components/command-detail-view";

export const metadata: Metadata = { title: "Command" };

export default async function Page({ params }: { params: Promise<{ commandId: string }> }) {
  const { commandId } = await params;
  return <CommandDetailView commandId={commandId} />;
}
