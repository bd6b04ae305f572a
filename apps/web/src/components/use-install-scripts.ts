"use client";

import { useQuery } from "@tanstack/react-query";

/** Whether this server answers for each install script; a one-liner is shown only for one that does. */
export type InstallScripts = { linux: boolean; windows: boolean };

async function answers(path: string): Promise<boolean> {
  const response = await fetch(path, { method: "HEAD", cache: "no-store" });
  return response.ok;
}

export function useInstallScripts() {
  return useQuery({
    queryKey: ["install-scripts"],
    queryFn: async (): Promise<InstallScripts> => {
      const [linux, windows] = await Promise.all([answers("/install.sh"), answers("/install.ps1")]);
      return { linux, windows };
    },
    staleTime: 60_000,
  });
}
