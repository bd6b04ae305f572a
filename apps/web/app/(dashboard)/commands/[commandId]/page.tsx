import { idSchema } from "@redflag/contracts";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { CommandDetailView } from "~/components/command-detail-view";

export const metadata: Metadata = { title: "Command" };

export default async function Page({ params }: { params: Promise<{ commandId: string }> }) {
  const commandId = idSchema("command").safeParse((await params).commandId);
  if (!commandId.success) notFound();
  return <CommandDetailView commandId={commandId.data} />;
}
