import { createApp } from 'vue'
import '../../shared/base.css'
import './style.css'
import App from './App.vue'
import { router } from './router.ts'

createApp(App).use(router).mount('#app')
