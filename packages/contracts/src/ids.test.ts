import { describe, expect, expectTypeOf, test } from "bun:test";
import type { z } from "zod";
import { type AgentId, type CommandId, idSchema, newId } from "./ids.ts";

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

  test("are typed by kind: new, and once validated from any string", () => {
    expectTypeOf(newId("agent")).toEqualTypeOf<AgentId>();
    expectTypeOf(newId("command")).not.toEqualTypeOf<AgentId>();
    const parsed = idSchema("command").parse(newId("command"));
    expectTypeOf(parsed).toEqualTypeOf<CommandId>();
    const schema = idSchema("agent");
    expectTypeOf<z.input<typeof schema>>().toEqualTypeOf<string>();
    expectTypeOf<z.output<typeof schema>>().toEqualTypeOf<AgentId>();
  });
});
