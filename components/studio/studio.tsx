"use client";

import dynamic from "next/dynamic";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { Suspense, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { useStore } from "zustand";
import {
  cancelTurnAction,
  createSessionAction,
  deleteSessionAction,
  estimateFollowUpAction,
  listOlderSessionsAction,
  listSessionsAction,
  renameSessionAction,
  retryTurnAction,
  startTurnAction,
  startTurnSetAction,
} from "@/app/actions";
import { isAcceptedMimeType } from "@/lib/images/limits";
import { drawRegionMask } from "@/lib/images/region-mask-client";
import { createTrayUploader, uploadImage } from "@/lib/images/upload-client";
import { MASK_ROLE, type GenerationSettings } from "@/lib/gemini/types";
import type { Session, StoredImageRef, Turn } from "@/lib/storage/types";
import { suggestModelSwitch } from "@/lib/studio/model-switch";
import { appendSessionPage, applySessionActivity, type SessionListPage } from "@/lib/studio/session-list";
import { referenceLimitProblems } from "@/lib/studio/reference-limits";
import { buildRegionInstruction, readRegionEdit, regionEditSettings, type RegionEdit } from "@/lib/studio/region-edit";
import { tooLargeReason, type RequestSizeEstimate } from "@/lib/studio/request-size";
import { buildTurnTree, continuationOf, numberTurns, visiblePath } from "@/lib/studio/turn-tree";
import { summarizeTurn, type TurnImage, type TurnSummary } from "@/lib/studio/turn-summary";
import { createReferenceTrayStore, selectCounts, selectIsBusy, selectReadyReferences } from "@/lib/store/reference-tray-store";
import { VARIATIONS_PARAM } from "@/lib/studio/turn-set-limits";
import type { CompareImage, CompareMode } from "./compare-view";
import { Composer } from "./composer";
import { keepPromptFocus } from "./prompt-editor";
import { ReferenceTray } from "./reference-tray";
import { ContinueInNewSession, RequestSizeNotice } from "./request-size-notice";
import { SessionsSidebar } from "./sessions-sidebar";
import { useComposerStore, useModels } from "./studio-provider";
import { Timeline } from "./timeline";
import { TurnLoading } from "./turn-loading";
import { TurnView } from "./turn-view";
import { useLiveTurns, useNow } from "./use-live-turns";
import { useTurnDetails } from "./use-turn-details";

// Code split (bench scenario 4, page weight): what a new session does not show before the composer
// is usable loads when it is first rendered (server rendering still renders it where the page shows
// it at once: a grid named in the URL). The timeline (with its virtualizer, ~15 KB gzip) and the
// turn view (~12 KB) stay in the first load: loaded later, the timeline's code was counted in a
// new session's first generation (bench scenario 3: 1.085–1.090x its image, 1.050–1.051x now).
const TurnSetGrid = dynamic(() => import("./turn-set-grid").then((module) => module.TurnSetGrid));
const GroundingPanel = dynamic(() => import("./grounding-panel").then((module) => module.GroundingPanel));
const CompareView = dynamic(() => import("./compare-view").then((module) => module.CompareView));
const RegionEditDialog = dynamic(() => import("./region-edit-dialog").then((module) => module.RegionEditDialog));
const CompareModelsDialog = dynamic(() => import("./compare-models-dialog").then((module) => module.CompareModelsDialog));

interface StudioProps {
  /** The sidebar's first page of sessions; older ones are fetched on request. */
  sessions: SessionListPage;
  session: Session | null;
  /** Every turn of the session, as a summary (lib/studio/turn-summary.ts). */
  turns: TurnSummary[];
  /** The turns the page opens on, whole; others are read when they are shown (use-turn-details.ts). */
  shownTurns: Turn[];
  selectedTurnId: string | null;
  /** The turns of a variations or comparison grid named in the URL (`?variations=`), in order. */
  variationIds?: string[];
  /** A new session's first reference (the home page's `?from=`), or the news that it can't be used. */
  startFrom?: StartFrom | null;
}

export type StartFrom = { hash: string } | { missing: true };

interface Notice {
  message: string;
  action?: string;
}

function isActive(turn: Pick<Turn, "status">): boolean {
  return turn.status === "queued" || turn.status === "running";
}

function sessionTitle(prompt: string): string {
  const words = prompt.trim().split(/\s+/).slice(0, 8).join(" ");
  return words.length > 0 ? words.slice(0, 80) : "Untitled session";
}

const NO_VARIATIONS: string[] = [];

/** A result of a turn as one side of the comparison. */
function compareImage(turn: TurnSummary, image: TurnImage, number: number | undefined): CompareImage {
  return { url: `/api/images/${image.hash}`, label: `Turn ${number} · ${turn.prompt}`, width: image.width, height: image.height };
}

/** The turns held whole, with `turns` put in (newer than what was held). */
function withDetails(held: ReadonlyMap<string, Turn>, turns: readonly Turn[]): Map<string, Turn> {
  const next = new Map(held);
  for (const turn of turns) next.set(turn.id, turn);
  return next;
}

export function Studio({
  sessions: initialSessions,
  session,
  turns: initialTurns,
  shownTurns,
  selectedTurnId,
  variationIds = NO_VARIATIONS,
  startFrom = null,
}: StudioProps) {
  // `data-hydrated` (browser tests wait for it) is set on the element once hydration's effects have
  // run, rather than rendered from state: a state change would render the whole studio a second
  // time right after hydrating it, before the composer responds.
  const studioRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    studioRef.current?.setAttribute("data-hydrated", "true");
  }, []);
  const router = useRouter();
  const models = useModels();
  const composer = useComposerStore();
  const settings = useStore(composer, (state) => state.settings);
  const [turns, setTurns] = useState(initialTurns);
  // Turns held whole: those the page opened on, those read since, and those started or followed here.
  const [details, setDetails] = useState(() => withDetails(new Map(), shownTurns));
  const [sessions, setSessions] = useState(initialSessions.items);
  const [moreSessions, setMoreSessions] = useState(initialSessions.hasMore);
  const [selectedId, setSelectedId] = useState<string | null>(selectedTurnId);
  const [notice, setNotice] = useState<Notice | null>(() =>
    startFrom && "missing" in startFrom
      ? { message: "The image to continue from isn't available.", action: "It may have been deleted or belong to someone else: add a reference image yourself." }
      : null,
  );
  // Phones only (the toggle is hidden from md up, where the sidebar is a column of its own).
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const sidebarId = useId();
  const [submitting, setSubmitting] = useState(false);
  const [compare, setCompare] = useState<{ left: CompareImage; right: CompareImage; mode?: CompareMode } | null>(null);
  // The region edit being marked (its dialog is open), and one sent whose result opens in the slider.
  const [regionEdit, setRegionEdit] = useState<{ turn: TurnSummary; image: TurnImage; initial: RegionEdit | null } | null>(null);
  const [regionResult, setRegionResult] = useState<{ turnId: string; before: CompareImage } | null>(null);
  const [gridIds, setGridIds] = useState<string[]>(variationIds);
  // Each opening mounts the dialog afresh, so it starts from the composer's current model and size.
  const [compareModels, setCompareModels] = useState({ open: false, key: 0 });
  const [tray] = useState(createReferenceTrayStore);
  const [trayUploader] = useState(() => createTrayUploader(tray));
  const trayBusy = useStore(tray, selectIsBusy);
  const trayObjects = useStore(tray, (state) => selectCounts(state).object);
  const trayCharacters = useStore(tray, (state) => selectCounts(state).character);
  const trayTotal = useStore(tray, (state) => state.items.length);

  // Server data wins whenever the route delivers new props (navigation, refresh): adjust the state
  // during render rather than in an effect, so there is no render with stale data.
  const [serverProps, setServerProps] = useState({ initialTurns, shownTurns, initialSessions, selectedTurnId, variationIds });
  if (
    serverProps.initialTurns !== initialTurns ||
    serverProps.shownTurns !== shownTurns ||
    serverProps.initialSessions !== initialSessions ||
    serverProps.selectedTurnId !== selectedTurnId ||
    serverProps.variationIds !== variationIds
  ) {
    setServerProps({ initialTurns, shownTurns, initialSessions, selectedTurnId, variationIds });
    setGridIds(variationIds);
    setTurns(initialTurns);
    setDetails((held) => withDetails(held, shownTurns));
    setSessions(initialSessions.items);
    setMoreSessions(initialSessions.hasMore);
    setSelectedId(selectedTurnId);
  }

  const tree = useMemo(() => buildTurnTree(turns), [turns]);
  const path = useMemo(() => visiblePath(tree, selectedId), [tree, selectedId]);
  const shown = (selectedId ? tree.byId.get(selectedId) : undefined) ?? path.at(-1) ?? null;
  const gridTurns = useMemo(() => gridIds.flatMap((id) => tree.byId.get(id) ?? []), [gridIds, tree]);
  const gridOpen = gridTurns.length > 0;
  // While a grid is shown, the composer works from the set's parent: Generate makes another set
  // (or turn) beside it, until one cell is picked to continue from.
  const gridParentId = gridTurns[0]?.parentId ?? null;
  const selected = gridOpen ? (gridParentId ? (tree.byId.get(gridParentId) ?? null) : null) : shown;
  // The turn view and a grid show turns whole: the page sent the ones it opened on, and any other
  // is read when it is shown (until then the view says it is loading).
  const shownId = shown?.id ?? null;
  const shownWhole = shownId === null ? undefined : details.get(shownId);
  const gridWhole = useMemo(() => gridTurns.flatMap((turn) => details.get(turn.id) ?? []), [gridTurns, details]);
  const wantedIds = gridOpen ? gridTurns.map((turn) => turn.id) : shownId === null ? NO_VARIATIONS : [shownId];
  const keepRead = useCallback(
    // A turn that arrived over its event stream or from an action meanwhile is newer than the one read.
    (turn: Turn) => setDetails((held) => (held.has(turn.id) ? held : withDetails(held, [turn]))),
    [],
  );
  const turnDetails = useTurnDetails(session?.id ?? null, wantedIds, details, keepRead);

  const upsertTurn = useCallback((turn: Turn) => {
    const summary = summarizeTurn(turn);
    setTurns((current) => {
      const index = current.findIndex((candidate) => candidate.id === turn.id);
      return index === -1 ? [...current, summary] : current.with(index, summary);
    });
    setDetails((held) => withDetails(held, [turn]));
  }, []);

  // A turn started on the new-session page is followed from its session's page, where the studio
  // goes at once: following it here too would open a second stream for the same events.
  const activeIds = useMemo(() => (session ? turns.filter(isActive).map((turn) => turn.id) : []), [session, turns]);
  // Finished turns arrive whole over the stream: nothing needs to be fetched again.
  const live = useLiveTurns(activeIds, upsertTurn);
  const now = useNow(activeIds.length > 0);
  const running = !gridOpen && selected !== null && isActive(selected);

  // The URL names the selected turn so reloads and shared links open it. Writing it through the
  // History API (which Next's router follows) keeps the page as it is instead of rendering it
  // again on the server: the browser holds every turn's summary, and reads a turn whole to show it.
  const selectTurn = useCallback(
    (turnId: string) => {
      setSelectedId(turnId);
      setGridIds(NO_VARIATIONS);
      if (session) window.history.replaceState(null, "", `/s/${session.id}?turn=${encodeURIComponent(turnId)}`);
    },
    [session],
  );

  /** Shows the turns of a set as a grid; the URL keeps it (`?variations=<id,id,…>`). */
  const showGrid = useCallback(
    (turnIds: string[]) => {
      setGridIds(turnIds);
      if (session) window.history.replaceState(null, "", `/s/${session.id}?${VARIATIONS_PARAM}=${turnIds.map(encodeURIComponent).join(",")}`);
    },
    [session],
  );

  // The sidebar's entry for this session follows its turns as they are made and finish.
  const listedSessions = useMemo(() => (session ? applySessionActivity(sessions, session.id, turns) : sessions), [sessions, session, turns]);

  const turnNumbers = useMemo(() => numberTurns(turns), [turns]);
  // Neither is memoized: a walk up the selected turn's ancestors, and one pass over the summaries
  // for the compare picker (whose turn view renders again with the studio anyway).
  const continuation = continuationOf(tree, selected);
  const compareCandidates = turns
    .filter((turn) => turn.id !== selected?.id && turn.image !== null)
    .map((turn) => ({ id: turn.id, label: `Turn ${turnNumbers.get(turn.id)} · ${turn.prompt.slice(0, 40)}` }));

  function openCompare(otherId: string) {
    const other = tree.byId.get(otherId);
    const otherImage = other?.image;
    const image = selected?.image;
    if (!selected || !other || !otherImage || !image) return;
    const view = (turn: TurnSummary, ref: TurnImage) => compareImage(turn, ref, turnNumbers.get(turn.id));
    // The older version is "before" (left), the newer "after".
    const [left, right] =
      other.createdAt <= selected.createdAt ? [view(other, otherImage), view(selected, image)] : [view(selected, image), view(other, otherImage)];
    setCompare({ left, right });
  }

  // A region edit's result opens against the original in the slider once it is done, if it is still
  // the turn on screen. Adjusted during render, like the server props above: no extra render.
  const regionTurn = regionResult ? tree.byId.get(regionResult.turnId) : undefined;
  if (regionResult && regionTurn && !isActive(regionTurn)) {
    setRegionResult(null);
    const after = regionTurn.image;
    if (regionTurn.status === "succeeded" && after && selected?.id === regionTurn.id) {
      setCompare({ left: regionResult.before, right: compareImage(regionTurn, after, turnNumbers.get(regionTurn.id)), mode: "slider" });
    }
  }

  /**
   * Sends a marked area and instruction as the next turn after `turn`: a black-and-white mask of the
   * image's size is drawn here and uploaded like a reference, with the role "mask". A message when
   * it could not be sent (the dialog shows it and stays open), null when it was.
   */
  async function sendRegionEdit(turn: TurnSummary, image: TurnImage, edit: RegionEdit): Promise<string | null> {
    if (!session) return "Region edits continue a turn of an open session.";
    if (!image.width || !image.height) return "The size of this image is unknown, so no mask can be drawn for it.";
    let mask: Blob;
    try {
      mask = await drawRegionMask(edit.region, { width: image.width, height: image.height });
    } catch {
      return "This browser could not draw the mask. Try again, or another browser.";
    }
    const uploaded = await uploadImage(mask, "region-mask.png");
    if (!uploaded.ok) return uploaded.error.message;
    const started = await startTurnAction({
      sessionId: session.id,
      parentId: turn.id,
      // The mask is the turn's only new image, so it is image 1 (lib/gemini/request.ts numbers them).
      prompt: buildRegionInstruction(edit, 1),
      references: [{ hash: uploaded.image.hash, role: MASK_ROLE }],
      settings: regionEditSettings(turn.settings),
    });
    if (!started.ok) return [started.error.message, "action" in started.error ? started.error.action : null].filter(Boolean).join(" ");
    upsertTurn(started.data);
    selectTurn(started.data.id);
    setRegionResult({ turnId: started.data.id, before: compareImage(turn, image, turnNumbers.get(turn.id)) });
    setRegionEdit(null);
    return null;
  }

  const profile = models.find((model) => model.id === settings.model);
  // "Describe the change" and "Apply edit" only when there is an answer to change: references on
  // their own are material for a new image, not an edit.
  const editing = continuation !== null;
  const referenceCounts = useMemo(() => ({ total: trayTotal, object: trayObjects, character: trayCharacters }), [trayTotal, trayObjects, trayCharacters]);
  // A model switch can leave the tray over the new model's limits (the tray only stops a role being
  // picked past its limit): Generate is refused with the reason until the references fit.
  const referenceProblems = profile ? referenceLimitProblems(referenceCounts, profile.references, profile.displayName) : [];

  // How large the request continuing the conversation would be. The server's start check refuses on
  // its own estimate; this one is asked for whenever the turn to continue changes, so the view can
  // warn and say why before anything is sent. A finished turn never changes: neither does its answer.
  const [size, setSize] = useState<{ turnId: string; estimate: RequestSizeEstimate } | null>(null);
  const continuationId = continuation?.id ?? null;
  useEffect(() => {
    if (!continuationId) return;
    let current = true;
    void estimateFollowUpAction({ turnId: continuationId }).then((result) => {
      if (current && result.ok) setSize({ turnId: continuationId, estimate: result.data });
    });
    return () => {
      current = false;
    };
  }, [continuationId]);
  const estimate = size && size.turnId === continuationId ? size.estimate : null;
  const continueImage = continuation?.image?.hash ?? null;
  // Google refused this very chain as too large (the estimate fell short): continuing it can't work either.
  const refusedByGoogle = !gridOpen && shownWhole?.error?.code === "request_too_large" && continuation !== null && shownWhole.parentId !== null;
  const tooLarge =
    estimate?.level === "refuse" || refusedByGoogle
      ? tooLargeReason(estimate?.bytes ?? 0, Math.max(1, estimate?.replayedTurns ?? 0))
      : null;

  const blocked: { reason: string; action: React.ReactNode; hint: string } | null =
    referenceProblems.length > 0
      ? {
          reason: referenceProblems.map((problem) => problem.message).join(" "),
          action: "Unmark or remove references, or pick another model.",
          hint: "Unmark or remove references, or pick another model.",
        }
      : tooLarge
        ? {
            reason: refusedByGoogle && estimate?.level !== "refuse" ? (shownWhole?.error?.message ?? tooLarge.message) : tooLarge.message,
            action: continueImage ? <ContinueInNewSession imageHash={continueImage} /> : tooLarge.action,
            hint: tooLarge.action,
          }
        : null;

  /**
   * Starts what the composer holds: one turn, N variations of it (the "×N" control), or with
   * `compareRuns` one turn per model/size of the "Compare models…" dialog.
   */
  async function generate(compareRuns?: GenerationSettings[]) {
    const state = composer.getState();
    const set: { kind: "variations"; count: number; runs: GenerationSettings[] } | { kind: "compare"; runs: GenerationSettings[] } | null = compareRuns
      ? { kind: "compare", runs: compareRuns }
      : state.variations > 1 || state.batch
        ? { kind: "variations", count: state.variations, runs: Array.from({ length: state.variations }, () => state.settings) }
        : null;
    if (submitting || state.prompt.trim() === "") return;
    if (blocked) {
      setNotice({ message: blocked.reason, action: blocked.hint });
      return;
    }
    if (trayBusy) {
      setNotice({ message: "Reference images are still uploading.", action: "Wait a moment, then generate." });
      return;
    }
    setSubmitting(true);
    setNotice(null);
    try {
      let sessionId = session?.id;
      if (!sessionId) {
        // Over budget, the first image would be refused after the session exists: the session is
        // made only if the budget has room for what this Generate starts, so nothing is stored.
        const created = await createSessionAction({ title: sessionTitle(state.prompt), budgetFor: set ? set.runs : state.settings });
        if (!created.ok) {
          setNotice(created.error);
          return;
        }
        sessionId = created.data.id;
      }
      const references = selectReadyReferences(tray.getState()).map((reference) => ({
        hash: reference.hash,
        ...(reference.role ? { role: reference.role } : {}),
      }));
      if (set) {
        const base = { sessionId, parentId: continuation?.id ?? null, prompt: state.prompt, references };
        const startedSet = await startTurnSetAction(set.kind === "compare" ? { ...base, kind: "compare", runs: set.runs } : { ...base, kind: "variations", count: set.count, settings: state.settings, ...(state.batch ? { batch: true } : {}) });
        if (!startedSet.ok) {
          setNotice(startedSet.error);
          return;
        }
        const { turns: setTurns, refused } = startedSet.data;
        for (const turn of setTurns) upsertTurn(turn);
        if (refused.length > 0) {
          const first = refused[0];
          setNotice({
            message: `${refused.length} of ${setTurns.length + refused.length} images could not start: ${first?.message ?? ""}`,
            ...(first?.action ? { action: first.action } : {}),
          });
        }
        composer.getState().setPrompt("");
        tray.getState().clear();
        const ids = setTurns.map((turn) => turn.id);
        // A batch of one is a single turn: shown as one, not as a grid of one.
        if (ids.length === 1 && ids[0]) {
          if (session?.id === sessionId) selectTurn(ids[0]);
          else {
            keepPromptFocus(`/s/${sessionId}`);
            router.push(`/s/${sessionId}?turn=${ids[0]}`);
          }
          return;
        }
        if (session?.id === sessionId) showGrid(ids);
        else {
          keepPromptFocus(`/s/${sessionId}`);
          router.push(`/s/${sessionId}?${VARIATIONS_PARAM}=${ids.join(",")}`);
        }
        return;
      }
      const started = await startTurnAction({
        sessionId,
        parentId: continuation?.id ?? null,
        prompt: state.prompt,
        references,
        settings: state.settings,
      });
      if (!started.ok) {
        setNotice(started.error);
        return;
      }
      upsertTurn(started.data);
      composer.getState().setPrompt("");
      tray.getState().clear();
      if (session?.id === sessionId) selectTurn(started.data.id);
      else {
        // The session page mounts a new composer: the prompt takes focus there, where it was here.
        keepPromptFocus(`/s/${sessionId}`);
        router.push(`/s/${sessionId}?turn=${started.data.id}`);
      }
    } finally {
      setSubmitting(false);
    }
  }

  async function cancel() {
    if (!selected || !isActive(selected)) return;
    const result = await cancelTurnAction({ turnId: selected.id });
    if (result.ok) upsertTurn(result.data);
    else setNotice(result.error);
  }

  async function retry(turn: Turn) {
    const result = await retryTurnAction({ turnId: turn.id });
    if (!result.ok) {
      setNotice(result.error);
      return;
    }
    upsertTurn(result.data);
    selectTurn(result.data.id);
  }

  /**
   * A request that can't succeed unchanged goes back into the composer for editing: prompt,
   * settings and references as they were, continuing from the same turn, the caret in the prompt.
   */
  async function editAndRetry(turn: Turn) {
    // A region edit goes back to its dialog, over the result it edits, with its area and words.
    const parent = turn.parentId ? tree.byId.get(turn.parentId) : undefined;
    const edited = parent?.image;
    if (turn.request.references.some((reference) => reference.role === MASK_ROLE) && parent && edited) {
      selectTurn(parent.id);
      setRegionEdit({ turn: parent, image: edited, initial: readRegionEdit(turn.request.prompt) });
      return;
    }
    composer.getState().reuse({ prompt: turn.request.prompt, settings: turn.request.settings }, models);
    if (turn.parentId) selectTurn(turn.parentId);
    document.querySelector<HTMLTextAreaElement>('[data-testid="prompt"]')?.focus();
    tray.getState().clear();
    for (const reference of turn.request.references) {
      await trayUploader.addStored({
        hash: reference.hash,
        ...(isAcceptedMimeType(reference.mimeType) ? { mimeType: reference.mimeType } : {}),
        ...(reference.width ? { width: reference.width } : {}),
        ...(reference.height ? { height: reference.height } : {}),
      });
      const item = tray.getState().items.find((candidate) => candidate.hash === reference.hash);
      if (item && reference.role && reference.role !== MASK_ROLE) tray.getState().setRole(item.id, reference.role);
    }
  }

  /** The error's one-click fix: the same request from the same place, with the named setting changed. */
  async function applyFix(turn: Turn, change: Partial<GenerationSettings>) {
    const started = await startTurnAction({
      sessionId: turn.sessionId,
      parentId: turn.parentId,
      prompt: turn.request.prompt,
      references: turn.request.references.map((reference) => ({ hash: reference.hash, ...(reference.role ? { role: reference.role } : {}) })),
      settings: { ...turn.request.settings, ...change },
    });
    if (!started.ok) {
      setNotice(started.error);
      return;
    }
    upsertTurn(started.data);
    selectTurn(started.data.id);
  }

  function useAsReference(image: StoredImageRef) {
    // The uploader reads any missing type or size from the stored file and reports problems in the tray.
    void trayUploader.addStored({
      hash: image.hash,
      ...(isAcceptedMimeType(image.mimeType) ? { mimeType: image.mimeType } : {}),
      ...(image.width ? { width: image.width } : {}),
      ...(image.height ? { height: image.height } : {}),
      ...(image.fileName ? { fileName: image.fileName } : {}),
    });
  }

  // `?from=`: the image goes into the tray once (an effect may run twice in development).
  const startedFrom = useRef<StartFrom | null>(null);
  useEffect(() => {
    if (!startFrom || startedFrom.current === startFrom) return;
    startedFrom.current = startFrom;
    if ("hash" in startFrom) void trayUploader.addStored({ hash: startFrom.hash });
  }, [startFrom, trayUploader]);

  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (event.key === "Escape" && running && !event.defaultPrevented) void cancel();
    }
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  });

  return (
    // The frame is one screen high: the sidebar, the main area and the composer scroll on their own,
    // and so does the timeline inside the sidebar. Below xl the composer sits under the result, its
    // options folded, so a tablet shows the image and the prompt at once; on a phone the sidebar
    // folds too, behind one button above the result.
    <div
      ref={studioRef}
      data-testid="studio"
      className="grid min-h-0 flex-1 grid-cols-1 grid-rows-[auto_minmax(0,1fr)_auto] md:grid-cols-[220px_minmax(0,1fr)] md:grid-rows-[minmax(0,1fr)_auto] xl:grid-cols-[240px_minmax(0,1fr)_400px] xl:grid-rows-[minmax(0,1fr)]">
      <aside className="flex min-h-0 flex-col border-b border-zinc-200 md:row-span-2 md:overflow-hidden md:border-r md:border-b-0 xl:row-span-1 dark:border-zinc-800">
        <button
          type="button"
          data-testid="sidebar-toggle"
          aria-expanded={sidebarOpen}
          aria-controls={sidebarId}
          onClick={() => setSidebarOpen((open) => !open)}
          className="flex items-center gap-2 px-3 py-2 text-left text-sm font-medium md:hidden"
        >
          <span aria-hidden>{sidebarOpen ? "▾" : "▸"}</span>
          <span className="shrink-0">Sessions{session ? " and timeline" : ""}</span>
          {session && <span className="min-w-0 truncate font-normal text-zinc-600 dark:text-zinc-400">· {session.title}</span>}
        </button>
        <div
          id={sidebarId}
          data-testid="sidebar-panel"
          className={`${sidebarOpen ? "flex" : "hidden"} min-h-0 flex-1 flex-col gap-4 p-3 max-md:max-h-[60dvh] max-md:overflow-y-auto max-md:pt-0 max-md:[&>nav]:max-h-56 md:flex`}
        >
        <SessionsSidebar
          sessions={listedSessions}
          activeId={session?.id ?? null}
          hasMore={moreSessions}
          onLoadMore={async () => {
            const result = await listOlderSessionsAction({ offset: sessions.length });
            if (!result.ok) {
              setNotice(result.error);
              return;
            }
            setSessions((current) => appendSessionPage(current, result.data.items));
            setMoreSessions(result.data.hasMore);
          }}
          onSearch={async (query) => {
            const result = await listSessionsAction({ query });
            return result.ok ? result.data : [];
          }}
          onRename={async (id, title) => {
            const result = await renameSessionAction({ sessionId: id, title });
            if (!result.ok) setNotice(result.error);
            router.refresh();
          }}
          onDelete={async (id) => {
            const result = await deleteSessionAction({ sessionId: id });
            if (!result.ok) {
              setNotice(result.error);
              return;
            }
            setSessions((current) => current.filter((candidate) => candidate.id !== id));
            if (id === session?.id) router.push("/");
          }}
        />
        {session && (
          // The timeline scrolls within itself (it renders only the rows in view); the session list
          // above it gives way first.
          <section aria-label="Timeline" className="flex h-64 min-h-0 shrink-0 flex-col gap-2 md:h-auto md:min-h-[55%] md:flex-1 md:shrink">
            <h2 className="text-xs font-semibold tracking-wide text-zinc-500 dark:text-zinc-400 uppercase">Timeline</h2>
            {/* Hydrated on its own, after the composer: without this boundary a 500-turn session
                became usable ~300 ms later than with the lazily loaded timeline in two bench pairs
                (scenario 7); with it, no later. */}
            <Suspense>
              <Timeline tree={tree} path={path} numbers={turnNumbers} selectedId={selected?.id ?? null} onSelect={(turnId) => selectTurn(turnId)} />
            </Suspense>
          </section>
        )}
        </div>
      </aside>

      <main className="flex min-h-0 min-w-0 flex-col gap-4 overflow-y-auto p-3 sm:p-4" aria-label={session ? session.title : "New session"}>
        {compare && <CompareView left={compare.left} right={compare.right} initialMode={compare.mode} onClose={() => setCompare(null)} />}
        {regionEdit && (
          <RegionEditDialog
            image={{
              url: `/api/images/${regionEdit.image.hash}`,
              label: `Turn ${turnNumbers.get(regionEdit.turn.id)} · ${regionEdit.turn.prompt}`,
              width: regionEdit.image.width ?? 1,
              height: regionEdit.image.height ?? 1,
            }}
            initial={regionEdit.initial}
            onApply={(edit) => sendRegionEdit(regionEdit.turn, regionEdit.image, edit)}
            onClose={() => setRegionEdit(null)}
          />
        )}
        {session && (
          <div className="flex items-center justify-end gap-2 text-xs">
            <a
              href={`/api/sessions/${session.id}/export`}
              download
              data-testid="export-session"
              className="rounded-lg border border-zinc-300 px-3 py-1.5 font-medium hover:bg-zinc-100 dark:border-zinc-700 dark:hover:bg-zinc-800"
            >
              Export session (.zip)
            </a>
          </div>
        )}
        {notice && (
          <div role="alert" data-testid="notice" className="flex items-start gap-3 rounded-lg border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
            <div className="flex-1">
              <p className="font-semibold">{notice.message}</p>
              {notice.action && <p>{notice.action}</p>}
            </div>
            <button type="button" aria-label="Dismiss" onClick={() => setNotice(null)} className="px-1">
              ✕
            </button>
          </div>
        )}
        {gridOpen && gridWhole.length < gridTurns.length ? (
          <div className="flex flex-col gap-2 text-sm" data-testid="grid-loading">
            <p role="status" className="text-xs text-zinc-500 dark:text-zinc-400">
              Loading these turns…
            </p>
            {gridTurns.flatMap((turn) => {
              const failure = turnDetails.failed.get(turn.id);
              return failure === undefined
                ? []
                : [
                    <p key={turn.id} role="alert" className="text-red-800 dark:text-red-200">
                      Turn {turnNumbers.get(turn.id)} could not be loaded. {failure}{" "}
                      <button type="button" className="underline" onClick={() => turnDetails.retry(turn.id)}>
                        Try again
                      </button>
                    </p>,
                  ];
            })}
          </div>
        ) : gridOpen ? (
          <TurnSetGrid
            turns={gridWhole}
            numbers={turnNumbers}
            live={live}
            now={now}
            models={models}
            onContinue={(turn) => {
              selectTurn(turn.id);
              document.querySelector<HTMLTextAreaElement>('[data-testid="prompt"]')?.focus();
            }}
            onCancel={async (turn) => {
              const result = await cancelTurnAction({ turnId: turn.id });
              if (result.ok) upsertTurn(result.data);
              else setNotice(result.error);
            }}
            onRetry={(turn) => void retry(turn)}
            onOpen={(turn) => selectTurn(turn.id)}
            onClose={() => {
              const first = gridTurns[0];
              if (first) selectTurn(first.id);
            }}
          />
        ) : selected && !shownWhole ? (
          <TurnLoading
            key={selected.id}
            turn={selected}
            number={turnNumbers.get(selected.id) ?? null}
            failure={turnDetails.failed.get(selected.id)}
            onRetry={() => turnDetails.retry(selected.id)}
          />
        ) : selected && shownWhole ? (
          <TurnView
            key={selected.id}
            turn={shownWhole}
            number={turnNumbers.get(selected.id) ?? null}
            live={live[selected.id] ?? null}
            now={now}
            onRetry={(turn) => void retry(turn)}
            onEditAndRetry={(turn) => void editAndRetry(turn)}
            onApplyFix={(turn, change) => void applyFix(turn, change)}
            onReuse={(turn) => composer.getState().reuse({ prompt: turn.request.prompt, settings: turn.request.settings }, models)}
            onUseAsReference={useAsReference}
            onEditRegion={(image) => setRegionEdit({ turn: selected, image, initial: null })}
            switchTarget={suggestModelSwitch(shownWhole.error, shownWhole.request.settings.model, models)}
            onSwitchModel={(turn, modelId) =>
              composer.getState().reuse({ prompt: turn.request.prompt, settings: { ...turn.request.settings, model: modelId } }, models)
            }
            compareCandidates={compareCandidates}
            onCompare={openCompare}
            renderGrounding={(turn) =>
              turn.outcome?.grounding ? <GroundingPanel grounding={turn.outcome.grounding} text={turn.outcome.text} /> : null
            }
          />
        ) : (
          <div className="m-auto flex max-w-md flex-col items-center gap-2 text-center text-sm text-zinc-500 dark:text-zinc-400" data-testid="empty-stage">
            <p className="text-base font-medium text-zinc-700 dark:text-zinc-300">Start with a prompt</p>
            <p>Describe the image, add up to 14 reference images, pick a model and size, then press Ctrl+Enter.</p>
            <p>Keep talking to the result to refine it: every turn is kept, and you can branch from any of them.</p>
          </div>
        )}
      </main>

      <aside
        aria-label="Composer"
        data-request-bytes={estimate?.bytes}
        className="max-h-[60dvh] overflow-y-auto border-t border-zinc-200 p-3 sm:p-4 md:col-start-2 xl:col-start-3 xl:max-h-none xl:border-t-0 xl:border-l dark:border-zinc-800"
      >
        {estimate?.level === "warn" && !tooLarge && <RequestSizeNotice estimate={estimate} imageHash={continueImage} />}
        {continuation && !running && (
          <p className="mb-3 text-xs text-zinc-600 dark:text-zinc-400" data-testid="continue-from">
            Continues from turn {turnNumbers.get(continuation.id)}
            {tree.children.get(continuation.id)?.length ? " (creates a new branch)" : ""}.{" "}
            <Link href="/" className="underline">
              Start a new session
            </Link>
          </p>
        )}
        <Composer
          running={running}
          submitting={submitting}
          editing={editing}
          blocked={blocked}
          referenceCounts={referenceCounts}
          onGenerate={() => void generate()}
          onCancel={() => void cancel()}
          onCompareModels={() => setCompareModels((current) => ({ open: true, key: current.key + 1 }))}
          references={
            <ReferenceTray
              store={tray}
              limits={profile?.references ?? { total: 14, objects: null, characters: null }}
              modelName={profile?.displayName ?? "The selected model"}
            />
          }
        />
      </aside>
      {/* Mounted from its first opening on (key 0 is "never opened"), so its code loads only then. */}
      {compareModels.key > 0 && <CompareModelsDialog
        key={compareModels.key}
        open={compareModels.open}
        onOpenChange={(open) => setCompareModels((current) => ({ ...current, open }))}
        models={models}
        prompt={composer.getState().prompt}
        settings={settings}
        referenceCounts={referenceCounts}
        onCompare={(runs) => void generate(runs)}
      />}
    </div>
  );
}
