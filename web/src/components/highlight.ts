// Loaded on demand (a separate chunk): the highlighter is the heaviest part of the app.
import hljs from "highlight.js/lib/common";

export default hljs;
