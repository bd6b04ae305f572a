import { describe, expect, test } from "bun:test";
import { idSchema, newId } from "./ids.ts";

describe("prefixed ids", () => {
  test("carry their kind and sort by creation time", async () => {
    const first = newId("agent");
    await Bun.sleep(2);
    const second = newId("agent");
    expect(first).toMatch(/^agt_[0-9a-z]{26}$/);
    expect(first < second).toBe(true);
    expect(newId("command")).toStartWith("cmd_");
  });

  test("an id of another kind does not validate", () => {
    expect(idSchema("agent").safeParse(newId("agent")).success).toBe(true);
    expect(idSchema("agent").safeParse(newId("update")).success).toBe(false);
    expect(idSchema("agent").safeParse("agt_short").success).toBe(false);
    expect(idSchema("agent").safeParse("agt_0123456789ABCDEFGHJKMNPQRS").success).toBe(false);
  });
});
