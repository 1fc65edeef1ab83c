import { createRouter, createWebHashHistory } from 'vue-router';
import WorklistView from './worklist/WorklistView.vue';

// Hash history: the app loads from app://renderer/ in Electron and from vite preview in the harness alike.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', name: 'worklist', component: WorklistView },
    { path: '/viewer/:imageId(\\d+)', name: 'viewer', component: () => import('./viewer/ViewerView.vue'), props: (r) => ({ imageId: Number(r.params.imageId) }) },
    { path: '/review', name: 'review', component: () => import('./review/ReviewView.vue') },
    { path: '/settings', name: 'settings', component: () => import('./settings/SettingsView.vue') },
    { path: '/training', name: 'training', component: () => import('./training/TrainingView.vue') },
    { path: '/models', name: 'models', component: () => import('./models/ModelsView.vue') },
  ],
});
