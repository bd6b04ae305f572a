import { appRouter } from "./root.ts";
import { type ApiDependencies, createCallerFactory, createContext, type RequestInfo } from "./trpc.ts";

const createCaller = createCallerFactory(appRouter);

/** No session cookie and no token: only public procedures answer such a caller. */
const inProcessRequest: RequestInfo = {
  address: "in-process",
  secure: false,
  authorization: null,
  cookie: null,
  origin: null,
  host: null,
};

/** Calls the API's procedures from inside the server process, without going through HTTP. */
export function createServerCaller(dependencies: ApiDependencies) {
  return createCaller(createContext(dependencies, inProcessRequest, new Headers()));
}
