import type { Metadata } from "next";
import { NotificationView } from "~/components/notification-view";

export const metadata: Metadata = { title: "Notifications" };

export default function Page() {
  return <NotificationView />;
}
