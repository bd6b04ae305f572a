import type { Metadata } from "next";
import { WindowView } from "~/components/window-view";

export const metadata: Metadata = { title: "Maintenance windows" };

export default function Page() {
  return <WindowView />;
}
