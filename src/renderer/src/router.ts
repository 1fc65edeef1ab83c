import { createRouter, createWebHashHistory } from 'vue-router';
import WorklistView from './views/WorklistView.vue';

// Hash history: the app loads from file:// in Electron and from vite preview in the harness alike.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'worklist', component: WorklistView },
    { path: '/viewer/:imageId(\\d+)', name: 'viewer', component: () => import('./views/ViewerView.vue'), props: (r) => ({ imageId: Number(r.params.imageId) }) },
    { path: '/review', name: 'review', component: () => import('./views/ReviewView.vue') },
    { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue') },
    { path: '/training', name: 'training', component: () => import('./views/TrainingView.vue') },
    { path: '/models', name: 'models', component: () => import('./views/ModelsView.vue') },
  ],
});
