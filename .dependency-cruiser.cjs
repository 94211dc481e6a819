// The layers of the Worker (README, "Layout"): each imports only the layers below it.
//   entry (src/index.ts, src/app.ts) > edge > services > stream (the core) > storage > model
// The SDK, the renderers' client and the dashboard are programs of their own beside them.
const layers = ["model", "storage", "stream", "services", "edge"];

/** A rule forbidding `layer` to import any layer above it (or the entry). */
function downwardOnly(layer) {
	const above = layers.slice(layers.indexOf(layer) + 1);
	return {
		name: `${layer}-imports-only-downwards`,
		comment: `src/${layer}/ may import only the layers below it, never ${above.join(", ")} or the entry.`,
		severity: "error",
		from: { path: `^src/${layer}/` },
		to: { path: [`^src/(${above.join("|")})/`, "^src/(index|app)\\.ts$", "^src/(web|client|sdk)/"] },
	};
}

module.exports = {
	forbidden: [
		...layers.map(downwardOnly),
		{
			name: "no-circular",
			severity: "error",
			from: { path: "^src/" },
			to: { circular: true },
		},
		{
			name: "sdk-stands-alone",
			comment: "The SDK ships on its own: it imports nothing of the Worker or the other programs.",
			severity: "error",
			from: { path: "^src/sdk/" },
			to: { path: "^src/(?!sdk/)" },
		},
		{
			name: "client-stands-alone",
			comment: "The renderers' client runs in browsers: it imports nothing of the Worker.",
			severity: "error",
			from: { path: "^src/client/" },
			to: { path: "^src/(?!client/)" },
		},
		{
			name: "dashboard-uses-only-client-and-model",
			comment:
				"The dashboard's front-end may share the browser client and the model, and read the API's response types (type-only imports, erased when bundled); no code of the Worker's layers.",
			severity: "error",
			from: { path: "^src/web/" },
			to: { path: "^src/(edge|services|stream|storage|sdk)/|^src/(index|app)\\.ts$", dependencyTypesNot: ["type-only"] },
		},
	],
	options: {
		doNotFollow: { path: "node_modules" },
		exclude: { path: "^(public|dist|node_modules)/" },
		tsPreCompilationDeps: true,
		// typescript 7 has no API dependency-cruiser can use yet; swc parses the sources instead.
		parser: "swc",
		tsConfig: { fileName: "tsconfig.json" },
	},
};
