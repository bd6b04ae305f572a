"use client";

import { StatusBadge } from "./basics";

/** A token's last column: "Revoked", or the button that revokes it. */
export function RevokeButton({
  revokedAt,
  pending,
  onRevoke,
}: {
  revokedAt: Date | null;
  pending: boolean;
  onRevoke: () => void;
}) {
  if (revokedAt) return <StatusBadge value="cancelled" label="Revoked" />;
  return (
    <button type="button" className="button small" disabled={pending} onClick={onRevoke}>
      Revoke
    </button>
  );
}
