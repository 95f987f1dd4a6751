import { createRouter, createWebHistory, type RouteRecordRaw, type RouterOptions } from 'vue-router'

/** An app's router, served at /<app>/; an address it does not know opens its start page. */
export function createAppRouter(app: 'console' | 'wallet' | 'pos', routes: RouteRecordRaw[], options: Pick<RouterOptions, 'scrollBehavior'> = {}) {
  return createRouter({ ...options, history: createWebHistory(`/${app}/`), routes: [...routes, { path: '/:rest(.*)*', redirect: '/' }] })
}

/**
 * What the first navigation waits for (the signed-in session), done once: later navigations go on with
 * what it found. A failure is an answer too (nobody is signed in).
 */
export function once(load: () => Promise<unknown>): () => Promise<void> {
  let done: Promise<void> | undefined
  return () =>
    (done ??= load().then(
      () => undefined,
      () => undefined,
    ))
}
