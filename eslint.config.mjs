// Lint rules for the TypeScript control plane; module boundaries follow control-plane/README.md.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";

const folders = [
  "cli",
  "config",
  "gateway",
  "jobs",
  "worker",
  "runtime",
  "platform",
  "observability",
  "process",
  "render",
];

/**
 * Who may import whom: cli → platform → {gateway, worker} → jobs; worker → runtime; platform → runtime;
 * platform and runtime → process (child processes, the bottom layer); cli → render → {config, jobs names}.
 */
const zones = [
  { target: "./control-plane/!(cli)/**", from: "./control-plane/cli", message: "nothing imports cli/" },
  {
    target: "./control-plane/gateway/**",
    from: ["./control-plane/worker", "./control-plane/runtime", "./control-plane/platform", "./control-plane/process"],
    message: "gateway/ depends on jobs/ only",
  },
  {
    target: "./control-plane/jobs/**",
    from: [
      "./control-plane/gateway",
      "./control-plane/worker",
      "./control-plane/runtime",
      "./control-plane/platform",
      "./control-plane/process",
    ],
    message: "jobs/ is the bottom layer",
  },
  {
    target: "./control-plane/runtime/**",
    from: ["./control-plane/jobs", "./control-plane/gateway", "./control-plane/worker", "./control-plane/platform"],
    message: "runtime/ knows gRPC, not NATS",
  },
  {
    target: "./control-plane/worker/**",
    from: ["./control-plane/gateway", "./control-plane/platform", "./control-plane/process"],
    message: "worker/ never imports gateway/ or platform/, and starts no process (its runtimes come from runtime/)",
  },
  {
    target: "./control-plane/render/**",
    from: [
      "./control-plane/gateway",
      "./control-plane/worker",
      "./control-plane/runtime",
      "./control-plane/platform",
      "./control-plane/process",
      "./control-plane/observability",
    ],
    message: "render/ builds manifests from config/ and jobs/ names only; it runs nothing",
  },
  {
    target: "./control-plane/!(cli|render)/**",
    from: "./control-plane/render",
    message: "only cli/ uses render/",
  },
  {
    target: "./control-plane/process/**",
    from: folders.filter((f) => f !== "process").map((f) => `./control-plane/${f}`),
    message: "process/ is the bottom layer: child processes, nothing else of glia's",
  },
];

export default tseslint.config(
  { ignores: ["control-plane/runtime/gen/**", "node_modules/**", ".venv/**", "python-runtime/**"] },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "import-x": importX },
    rules: {
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            { from: "package", name: ["describe", "it", "test", "suite"], package: "node:test" },
          ],
        },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/explicit-module-boundary-types": "error",
      "import-x/no-cycle": "error",
      "import-x/no-restricted-paths": ["error", { zones }],
      "no-restricted-imports": [
        "error",
        {
          patterns: folders.map((f) => ({
            group: [
              `../${f}/*`,
              `!../${f}/index.ts`,
              `../../control-plane/${f}/*`,
              `!../../control-plane/${f}/index.ts`,
            ],
            message: `import from ${f}/index.ts, the folder's only public surface`,
          })),
        },
      ],
    },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: { "@typescript-eslint/explicit-module-boundary-types": "off" },
  },
);
