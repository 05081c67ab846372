import "server-only";

import type { EmitJobEvent, Job } from "./job";

/**
 * The line in this process: at most maxJobs jobs hold a slot (send a request to Gemini) at once;
 * further starts wait first in, first out, and are told how many wait before them, up to maxQueued
 * waiting. With the shared queue (PostgreSQL) nobody waits here, but a claimed job still counts as
 * running. Apart from runner.ts because these counts must stay right on every path in and out.
 * Hand-written: p-limit (a dependency already) runs waiting functions in order, but cannot take one
 * out of the line when it is cancelled, nor tell each waiter how many are before it.
 */

export interface LocalQueueOptions {
  /** Every job here, running or queued. */
  jobs: ReadonlyMap<string, Job>;
  maxJobs: number;
  maxQueued: number;
  emit: EmitJobEvent;
  /** A queued job got its slot: record it running and send its request (generation.ts). */
  launch: (job: Job) => Promise<void>;
}

export function createLocalQueue({ jobs, maxJobs, maxQueued, emit, launch }: LocalQueueOptions) {
  /** The queued jobs, first in line first. */
  const waiting: Job[] = [];
  /** Jobs holding a slot. */
  let running = 0;
  /** Starts between the capacity check and their job being registered. */
  let reserved = 0;

  /** Tells the queued jobs from `from` on how many wait before them. */
  function announcePositions(from = 0): void {
    for (let index = Math.max(0, from); index < waiting.length; index += 1) {
      const job = waiting[index];
      if (job) emit(job, { type: "queued", ahead: index });
    }
  }

  /** Gives free slots to the oldest queued jobs. */
  function promote(): void {
    let moved = false;
    while (running < maxJobs) {
      const job = waiting.shift();
      if (!job) break;
      moved = true;
      running += 1;
      job.state = "running";
      void launch(job);
    }
    if (moved) announcePositions();
  }

  return {
    /** Holds room for a start while it is checked and recorded; false when the line is full. Undone by unreserve(). */
    reserve(): boolean {
      if (jobs.size + reserved >= maxJobs + maxQueued) return false;
      reserved += 1;
      return true;
    },
    unreserve(): void {
      reserved -= 1;
    },
    /** Takes a slot if one is free and nobody waits for it. */
    takeFreeSlot(): boolean {
      const slot = running < maxJobs && waiting.length === 0;
      if (slot) running += 1;
      return slot;
    },
    /** A job of the shared queue runs here: it holds a slot whatever the count. */
    occupySlot(): void {
      running += 1;
    },
    /** A job gave its slot back (it ended, or its start failed): the next in line gets it. */
    freeSlot(): void {
      running -= 1;
      promote();
    },
    /** At the back of the line, told how many wait before it. */
    enqueue(job: Job): void {
      waiting.push(job);
      emit(job, { type: "queued", ahead: waiting.length - 1 });
    },
    /** It never reached Gemini: leave the line at once, so no slot goes to it. */
    leave(job: Job): void {
      const index = waiting.indexOf(job);
      if (index !== -1) waiting.splice(index, 1);
      announcePositions(index);
    },
    queuedTurnIds: (): string[] => waiting.map((job) => job.turnId),
  };
}
