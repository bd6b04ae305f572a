import Link from "next/link";
import { PageHeader } from "./ui/basics";

/** The dashboard's "not found": inside the frame, saying what was looked for and where to go instead. */
export function NotFound({
  what = "page",
  backHref = "/",
  backLabel = "the overview",
}: {
  what?: string;
  backHref?: string;
  backLabel?: string;
}) {
  return (
    <>
      <PageHeader title={`This ${what} does not exist`} />
      <section className="card not-found" role="status">
        <p>There is no {what} at this address: it may have been removed, or the link is mistyped.</p>
        <p>
          <Link href={backHref}>Go to {backLabel}</Link>
        </p>
      </section>
    </>
  );
}
