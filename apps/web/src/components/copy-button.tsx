"use client";

import { useState } from "react";

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  return (
    <button
      type="button"
      className="button small"
      onClick={() => {
        // The clipboard API needs a secure context (HTTPS or localhost); say so when it is missing.
        navigator.clipboard
          ?.writeText(text)
          .then(() => setState("copied"))
          .catch(() => setState("failed")) ?? setState("failed");
      }}
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Select and copy by hand" : label}
    </button>
  );
}
