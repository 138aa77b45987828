import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import prettier from 'eslint-config-prettier'
import globals from 'globals'

/** The four roots import one way: shared/ imports no other root; renderer/ never electron/. */
const importBoundaries = (forbidden) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: forbidden.map((root) => ({
        group: [`**/${root}/**`, `**/${root}`],
        message: `this root must not import ${root}/ (see DESIGN.md)`,
      })),
    },
  ],
})

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['renderer/**', 'snippet/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['shared/**'],
    rules: {
      ...importBoundaries(['electron', 'renderer', 'snippet']),
      'no-restricted-globals': ['error', 'window', 'document', 'process'],
    },
  },
  { files: ['renderer/**'], rules: importBoundaries(['electron', 'snippet']) },
  { files: ['snippet/src/**'], rules: importBoundaries(['electron', 'renderer']) },
  {
    // The snippet's one console call is its warning channel to the page's developer.
    files: ['snippet/src/**'],
    rules: { 'no-console': ['error', { allow: ['warn'] }] },
  },
  prettier,
)
