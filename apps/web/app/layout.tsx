import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { TRPCReactProvider } from "~/trpc/react";
import { CspWithoutEval } from "./csp-without-eval";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "RedFlag", template: "%s · RedFlag" },
  description: "Self-hosted update management",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page is rendered per request, so that Next can put the request's CSP nonce (proxy.ts)
  // on its inline scripts; a page prerendered at build time would carry none.
  await connection();
  return (
    <html lang="en">
      <body>
        <CspWithoutEval />
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
