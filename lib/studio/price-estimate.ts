import type { ModelProfile } from "@/lib/gemini/catalog";
import { findPrices, type Price } from "@/lib/gemini/prices";
import type { ImageSize } from "@/lib/gemini/types";

/**
 * The composer's estimate of one output image, from lib/gemini/prices.ts (the one price table, with
 * the date each figure was read). A model that ignores the size setting draws its default size, so
 * that is the size priced. Null when no price is published for the model at that size: the composer
 * says so rather than guessing from another size or model.
 */
export function imagePriceEstimate(profile: Pick<ModelProfile, "id" | "acceptsImageSize" | "defaultImageSize">, imageSize: ImageSize): Price | null {
  const size = profile.acceptsImageSize ? imageSize : profile.defaultImageSize;
  return findPrices(profile.id)?.perImage[size] ?? null;
}
