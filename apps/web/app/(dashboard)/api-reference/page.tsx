import { restOpenApiDocument } from "@redflag/api";
import type { Metadata } from "next";
import { ApiReference } from "~/components/api-reference";
import { PageHeader } from "~/components/ui/basics";
import { serverEnv } from "~/env";

export const metadata: Metadata = { title: "API reference" };
// The document names this server's version, read from its environment at run time.
export const dynamic = "force-dynamic";

export default function Page() {
  return (
    <>
      <PageHeader
        title="REST API reference"
        description="/api/v1: for scripts and tools that do not speak tRPC."
      />
      <ApiReference document={restOpenApiDocument(serverEnv().config.version)} />
    </>
  );
}
