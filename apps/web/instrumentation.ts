export async function register(): Promise<void> {
  // NEXT_RUNTIME is set by Next itself (not configuration), and must be read literally so the
  // edge bundle drops the Node-only import below.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startAtBoot } = await import("~/server/boot");
  await startAtBoot();
}
