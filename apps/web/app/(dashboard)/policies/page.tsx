import type { Metadata } from "next";
import { PolicyView } from "~/components/policy-view";

export const metadata: Metadata = { title: "Policies" };

export default function Page() {
  return <PolicyView />;
}
