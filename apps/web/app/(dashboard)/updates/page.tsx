import type { Metadata } from "next";
import { UpdatesView } from "~/components/updates-view";

export const metadata: Metadata = { title: "Updates" };

export default function Page() {
  return <UpdatesView />;
}
