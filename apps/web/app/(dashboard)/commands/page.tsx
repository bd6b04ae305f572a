import type { Metadata } from "next";
import { CommandsView } from "~/components/commands-view";

export const metadata: Metadata = { title: "Commands" };

export default function Page() {
  return <CommandsView />;
}
