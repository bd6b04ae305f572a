import { notFound } from "next/navigation";

/** Any address no page answers: the dashboard's not-found page, inside the dashboard's frame. */
export default function MissingPage() {
  notFound();
}
