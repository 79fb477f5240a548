import { createApp } from 'vue';
import { authFetchKey } from 'auth-fetch-tabs/vue';
import { authFetch } from '../../shared/auth';
import App from './App.vue';
import { router } from './router';
import '../../shared/style.css';

// Provided once: every component's useSession() and onAuthEvent() find the instance here.
createApp(App).provide(authFetchKey, authFetch).use(router).mount('#app');
