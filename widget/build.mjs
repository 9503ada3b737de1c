// Placeholder until the widget lands: the build script exists so `npm run build` is whole.
console.log("widget: nothing to build yet");
