import { afterAll, beforeAll } from "vitest";
import { startPostgres, type PostgresCluster } from "./postgres-cluster";

// The cluster itself is postgres-cluster.ts (no vitest import, so the bench can start one too).
export * from "./postgres-cluster";

/**
 * Starts a cluster before the test file's tests and stops it after them. Call at the top level of a
 * test file; the returned getter is valid inside tests and hooks.
 */
export function withPostgres(): () => PostgresCluster {
  let cluster: PostgresCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  return () => {
    if (!cluster) throw new Error("The PostgreSQL cluster is not running (withPostgres must be called at the top level of the test file).");
    return cluster;
  };
}
