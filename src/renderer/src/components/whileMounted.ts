import { onBeforeUnmount, onMounted } from 'vue';

/** Runs `start` (a store's event subscription) when the component mounts and the stop it returns when it unmounts. */
export function whileMounted(start: () => () => void): void {
  let stop = () => {};
  onMounted(() => (stop = start()));
  onBeforeUnmount(() => stop());
}
