import { ModeBanner } from "@/components/studio/mode-banner";
import { Studio } from "@/components/studio/studio";
import { getEnv } from "@/lib/env";
import { getModelDiscovery } from "@/lib/studio/gateway";

export const dynamic = "force-dynamic";

export default async function StudioPage() {
  const { mode } = getEnv();
  const discovery = await getModelDiscovery();
  return (
    <div className="flex min-h-screen flex-col">
      <ModeBanner mode={mode} />
      <header className="flex items-center gap-3 border-b border-zinc-200 px-6 py-3 dark:border-zinc-800">
        <span aria-hidden className="text-2xl">🍌</span>
        <h1 className="text-lg font-semibold tracking-tight">Nano Banana Studio</h1>
      </header>
      <Studio models={discovery.models} defaultModel={discovery.defaultModel} />
    </div>
  );
}
