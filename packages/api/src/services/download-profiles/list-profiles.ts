import { type DatabaseOrTransaction, downloadProfiles } from "@redflag/db";
import { asc } from "drizzle-orm";

export async function listDownloadProfiles(db: DatabaseOrTransaction) {
  return db.select().from(downloadProfiles).orderBy(asc(downloadProfiles.name), asc(downloadProfiles.id));
}
