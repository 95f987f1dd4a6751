import { onMounted, ref, type Ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { problemText } from '@shared/problems.ts'
import { rememberMerchant, signedInWith } from './wallet-session.ts'

/**
 * A page a shared link opens (a claim link, a gift link): it loads what the link offers and, when the customer
 * has to sign in with the merchant before taking it, sends them to sign in and finishes taking it on the way back.
 */
export function useLinkOffer<Info extends { merchant: { id: string } }>(options: {
  load: (token: string) => Promise<Info>
  /** The query flag the sign-in redirect comes back with, e.g. `claim` for `/claim/TOKEN?claim=1`. */
  resume: string
  path: (token: string) => string
  takable: (info: NoInfer<Info>) => boolean
  take: (token: string) => Promise<unknown>
}) {
  const route = useRoute()
  const router = useRouter()
  const token = route.params.token as string
  const info = ref<Info | null>(null) as Ref<Info | null>
  const failure = ref('')

  async function take() {
    if (!info.value) return
    if (!signedInWith(info.value.merchant.id)) {
      await router.push({ name: 'login', query: { merchant: info.value.merchant.id, redirect: `${options.path(token)}?${options.resume}=1` } })
      return
    }
    await options.take(token)
  }

  onMounted(async () => {
    try {
      info.value = await options.load(token)
      rememberMerchant(info.value.merchant.id)
      if (route.query[options.resume] === '1' && options.takable(info.value) && signedInWith(info.value.merchant.id)) {
        await router.replace({ query: {} })
        await take()
      }
    } catch (error) {
      failure.value = problemText(error)
    }
  })

  return { info, failure, take }
}
