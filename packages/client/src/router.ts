import type { AppRouter as ServerRouter } from "@redflag/api";
import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure } from "@trpc/server";

/*
 * The router as a client sees it: every procedure's input and output, the error shape and the
 * transformer; not the server's context or procedure metadata, whose types reach into the database,
 * the scheduler and the OpenAPI generator. The build expands this into plain types (build.ts),
 * so the published declarations need none of the server's packages.
 */

type ClientProcedure<Procedure> =
  Procedure extends TRPCQueryProcedure<infer Definition>
    ? TRPCQueryProcedure<{ input: Definition["input"]; output: Definition["output"]; meta: object }>
    : Procedure extends TRPCMutationProcedure<infer Definition>
      ? TRPCMutationProcedure<{ input: Definition["input"]; output: Definition["output"]; meta: object }>
      : never;

type ServerRecord = ServerRouter["_def"]["record"];

/** Each domain router (`updates`, `agents`, …) and its procedures; the server's routers are one level deep. */
export type ClientRouterRecord = {
  [Domain in keyof ServerRecord]: {
    [Procedure in keyof ServerRecord[Domain]]: ClientProcedure<ServerRecord[Domain][Procedure]>;
  };
};

/** What a failed call carries: the tRPC error shape with the server's `fields` and `requestId`. */
export type ClientErrorShape = ServerRouter["_def"]["_config"]["$types"]["errorShape"];

export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: ClientErrorShape; transformer: true },
  ClientRouterRecord
>;
