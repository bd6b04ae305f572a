import { z } from "zod";

export const usernameSchema = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[a-zA-Z0-9._-]+$/, { message: "may contain only letters, digits, dots, dashes and underscores" });

export const passwordSchema = z.string().min(10, { message: "must be at least 10 characters" }).max(1024);
