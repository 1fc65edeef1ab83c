import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vue from 'eslint-plugin-vue';

export default tseslint.config(
  { ignores: ['out/**', '.gpu/**', '.gl/**', 'dist/**', 'release/**', 'node_modules/**', 'test-results/**', 'test/fixtures/bad/**', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      // TypeScript already checks names (with the right lib per tsconfig); no-undef would only guess.
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only src/main/app/index.ts, src/main/app/ipc.ts and src/preload may import electron.' }] },
      ],
      // Formatting is prettier's job; these vue rules fight it.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
    },
  },
  {
    // The renderer's views and components reach main through their feature's store, never directly.
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.vue'],
    ignores: ['src/renderer/**/*Store.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='window'][property.name='cxr']", message: 'Call main through a store (*Store.ts): views and components do not use window.cxr.' }],
    },
  },
  {
    files: ['src/main/app/index.ts', 'src/main/app/ipc.ts', 'src/preload/**', 'test/e2e/electron*.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
