import { NotFound } from "~/components/not-found";

export default function DashboardNotFound() {
  return <NotFound />;
}
