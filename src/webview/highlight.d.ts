// highlight.js types only the full bundle; core is the same API without languages.
declare module 'highlight.js/lib/core' {
  import hljs from 'highlight.js';
  export default hljs;
}
