import { createApp } from 'vue'
import 'element-plus/dist/index.css'
import '../../shared/base.css'
import './theme.css'
import App from './App.vue'
import { router } from './router.ts'

createApp(App).use(router).mount('#app')
