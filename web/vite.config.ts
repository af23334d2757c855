// The visualizer's build (npm run build:web): one self-contained dist/web/index.html, the script
// and the styles inlined, so the page works from file:// and `natbox render --html` can copy it
// with a scenario added. The engine is bundled from src/ as it is (it needs nothing of Node).
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;

/** Moves every emitted script and stylesheet into index.html and drops the separate files. */
function inlineAll(): Plugin {
  return {
    name: 'natbox-inline',
    enforce: 'post',
    generateBundle(_opts, bundle) {
      const html = bundle['index.html'];
      if (!html || html.type !== 'asset') return;
      let text = String(html.source);
      for (const [name, out] of Object.entries(bundle)) {
        if (out.type === 'chunk' && out.isEntry) {
          const tag = new RegExp(
            `<script type="module" crossorigin src="[^"]*${name.replace(/[.]/g, '\\.')}"></script>`,
          );
          const code = out.code.replace(/<\/script/gi, '<\\/script');
          text = text
            .replace(tag, () => '')
            .replace('</body>', () => `<script type="module">${code}</script>\n</body>`);
          delete bundle[name];
        } else if (out.type === 'asset' && name.endsWith('.css')) {
          const tag = new RegExp(
            `<link rel="stylesheet" crossorigin href="[^"]*${name.replace(/[.]/g, '\\.')}">`,
          );
          text = text.replace(tag, () => `<style>${String(out.source)}</style>`);
          delete bundle[name];
        }
      }
      html.source = text;
    },
  };
}

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  plugins: [inlineAll()],
  server: { fs: { allow: [resolve(root, '..')] } },
  build: {
    outDir: resolve(root, '../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    reportCompressedSize: false,
    // A loaded machine makes the plugin-timing notice fire; it says nothing about the page.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
});
