import type { Metadata } from "next";
import { HealthView } from "~/components/health-view";

export const metadata: Metadata = { title: "Server health" };

export default function Page() {
  return <HealthView />;
}
