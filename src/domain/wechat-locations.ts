// WeChat's `location_id` (an integer POI id) ↔ Kabao stores (WECHAT-API.md §1.6): every store of a merchant
// has a per-merchant integer POI id, given in creation order and kept for good. Clients send POI ids (as
// numbers or decimal strings) or Kabao store ids; Kabao answers with POI ids. Pure: the facade hands in
// the merchant's current mapping.

export interface Poi {
  store_id: string
  poi_id: number
}

export type LocationsRead = { ok: true; storeIds: string[] } | { ok: false; unknown: string }

/** A POI id as a client may send it: a positive integer, or its decimal string. */
function poiIdOf(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null
  const text = value.trim()
  if (!/^\d{1,15}$/.test(text)) return null
  const n = Number(text)
  return n > 0 ? n : null
}

/**
 * The store ids a `location_id_list` (or one `location_id`) names, duplicates dropped, in the order sent.
 * The first entry that is neither a POI id nor a store id of the merchant is named as unknown (40072).
 */
export function storeIdsOfLocations(locations: readonly (string | number)[], pois: readonly Poi[]): LocationsRead {
  const byPoi = new Map(pois.map((p) => [p.poi_id, p.store_id]))
  const stores = new Set(pois.map((p) => p.store_id))
  const storeIds: string[] = []
  for (const location of locations) {
    const poiId = poiIdOf(location)
    const storeId = poiId !== null ? byPoi.get(poiId) : typeof location === 'string' && stores.has(location.trim()) ? location.trim() : undefined
    if (storeId === undefined) return { ok: false, unknown: String(location) }
    if (!storeIds.includes(storeId)) storeIds.push(storeId)
  }
  return { ok: true, storeIds }
}

/** The POI ids of stores, in their order; a store without one (not numbered yet) is left out. */
export function poiIdsOfStores(storeIds: readonly string[], pois: readonly Poi[]): number[] {
  const byStore = new Map(pois.map((p) => [p.store_id, p.poi_id]))
  return storeIds.flatMap((id) => {
    const poiId = byStore.get(id)
    return poiId === undefined ? [] : [poiId]
  })
}
