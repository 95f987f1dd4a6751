/** The HTML of a card/landingpage/create page: the cards with a claim link each. Pure; every text escaped. */
export interface LandingCard {
  title: string
  subtitle: string | null
  thumb_url: string | null
  claim_url: string
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)

export const LANDING_PAGE_CSP = "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

export function renderLandingPage(page: { page_title: string; banner: string | null }, cards: LandingCard[]): string {
  const items = cards
    .map((card) => `<li>${card.thumb_url ? `<img src="${escape(card.thumb_url)}" alt="" width="64" height="64">` : ''}<div><strong>${escape(card.title)}</strong>${card.subtitle ? `<br><small>${escape(card.subtitle)}</small>` : ''}</div><a href="${escape(card.claim_url)}">领取</a></li>`)
    .join('\n')
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(page.page_title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:0;background:#f5f5f5}header img{width:100%;display:block}h1{font-size:1.2rem;padding:0 1rem}ul{list-style:none;padding:0 1rem}li{display:flex;gap:.75rem;align-items:center;background:#fff;border-radius:8px;padding:.75rem;margin-bottom:.75rem}li div{flex:1}a{background:#07c160;color:#fff;padding:.4rem .9rem;border-radius:4px;text-decoration:none}</style>
</head><body>
${page.banner ? `<header><img src="${escape(page.banner)}" alt=""></header>` : ''}<h1>${escape(page.page_title)}</h1>
<ul>
${items}
</ul>
</body></html>
`
}
