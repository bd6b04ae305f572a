import { z } from "zod";
import { type PackageType, severitySchema } from "./enums.ts";

/**
 * What each package type's scanner puts in an update's `metadata`, one schema per type. Objects are
 * loose (an older or newer agent may send more) and every field is optional, so a reader checks what
 * it uses and ignores a value of the wrong shape instead of showing it raw.
 */
export const packageMetadataSchemas = {
  apt: z.looseObject({
    architecture: z.string().optional(),
    suites: z.array(z.string()).optional(),
    /**
     * dist-upgrade would not take it as things are (new dependencies, conflicts). Sent by agents whose
     * scan ran a dist-upgrade simulation; scans no longer do (a dry run shows what an install would
     * add or remove), so it is absent from newer agents and read by nothing.
     */
    heldBack: z.boolean().optional(),
  }),
  dnf: z.looseObject({
    advisories: z
      .array(
        z.looseObject({ id: z.string(), type: z.string().optional(), severity: severitySchema.optional() }),
      )
      .optional(),
    obsoletes: z.array(z.string()).optional(),
  }),
  docker: z.looseObject({
    reference: z.string().optional(),
    containers: z.array(z.string()).optional(),
    newerTags: z.array(z.string()).optional(),
  }),
  windows_update: z.looseObject({
    title: z.string().optional(),
    updateId: z.string().optional(),
    revisionNumber: z.number().optional(),
    kbArticleIds: z.array(z.string()).optional(),
    categories: z.array(z.string()).optional(),
    msrcSeverity: z.string().optional(),
    rebootRequired: z.boolean().optional(),
    rebootBehavior: z.enum(["never", "always", "can-request"]).optional(),
    downloaded: z.boolean().optional(),
  }),
  winget: z.looseObject({
    name: z.string().optional(),
    nameTruncated: z.boolean().optional(),
    requiresExplicitTargeting: z.boolean().optional(),
  }),
} satisfies Record<PackageType, z.ZodType>;

export type PackageMetadata<Type extends PackageType> = z.infer<(typeof packageMetadataSchemas)[Type]>;

/** An update's metadata discriminated on its package type. */
export const typedPackageMetadataSchema = z.discriminatedUnion("packageType", [
  z.object({ packageType: z.literal("apt"), metadata: packageMetadataSchemas.apt }),
  z.object({ packageType: z.literal("dnf"), metadata: packageMetadataSchemas.dnf }),
  z.object({ packageType: z.literal("docker"), metadata: packageMetadataSchemas.docker }),
  z.object({ packageType: z.literal("windows_update"), metadata: packageMetadataSchemas.windows_update }),
  z.object({ packageType: z.literal("winget"), metadata: packageMetadataSchemas.winget }),
]);
export type TypedPackageMetadata = z.infer<typeof typedPackageMetadataSchema>;

/** The metadata read by its type's schema; a value of an unexpected shape reads as none. */
export function readPackageMetadata(packageType: PackageType, metadata: unknown): TypedPackageMetadata {
  const parsed = typedPackageMetadataSchema.safeParse({ packageType, metadata });
  return parsed.success ? parsed.data : ({ packageType, metadata: {} } as TypedPackageMetadata);
}
