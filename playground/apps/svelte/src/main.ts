import { mount } from 'svelte';
import App from './App.svelte';
import '../../shared/style.css';

// No adapter and no provider: App.svelte imports the instance, which is a Svelte store.
export default mount(App, { target: document.getElementById('app')! });
