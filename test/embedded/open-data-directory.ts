// A separate process that opens an embedded database, like a server would: prints "opened <pid>"
// and then one line per write it committed, until its stdin closes; then it closes the database.
import { createDatabase } from "@redflag/db";
import { sql } from "drizzle-orm";

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir) throw new Error("usage: open-data-directory.ts DATA_DIR [write]");
try {
  const handle = await createDatabase({ driver: "pglite", dataDir });
  await handle.db.execute(sql`create table if not exists writes (id serial primary key, pid int not null)`);
  console.log(`opened ${process.pid} lastShutdown=${handle.lastShutdown}`);
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await handle.close();
    console.log("closed");
    process.exit(0);
  };
  process.stdin.on("end", stop);
  process.stdin.resume();
  if (mode === "write") {
    for (let index = 0; !stopping; index++) {
      await handle.db.execute(sql`insert into writes (pid) values (${process.pid})`);
      console.log(`wrote ${index}`);
    }
  }
} catch (error) {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exit(3);
}
