import { describe, expect, it } from "vitest";
import { POSTGRES_INSTALL_HINT, findPostgresBin, startPostgres } from "./postgres";

describe("the PostgreSQL test harness", () => {
  it("fails with the install command when the binaries are missing, rather than skipping", async () => {
    expect(findPostgresBin("/nonexistent", "/nonexistent/postgresql")).toBeNull();
    await expect(startPostgres(null)).rejects.toThrow(POSTGRES_INSTALL_HINT);
    expect(POSTGRES_INSTALL_HINT).toContain("apt-get install -y postgresql");
  });
});
