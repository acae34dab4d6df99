// Checks flowform's diagrams with the tools that will draw them (run by tests/it/diagrams.rs):
//
//   node check.mjs parse DIR
//       Every DIR/*.mmd is parsed by Mermaid's own parser (`mermaid.parse`, with jsdom standing in
//       for the browser DOM that Mermaid's sanitiser needs) and every DIR/*.dot is laid out by
//       Graphviz (compiled to WebAssembly). Prints one line per file; exits 1 if any fails.
//
//   node check.mjs render FILE.md [--screenshot OUT.png]
//       Renders the markdown document in headless Chromium the way GitHub does (markdown to
//       HTML with `marked`, then each ```mermaid block drawn by Mermaid with securityLevel
//       strict), and prints a JSON report: for each diagram whether it drew an SVG without a
//       syntax error, its node and edge counts and its node labels as the browser shows them.
//       Exits 1 unless every diagram drew. With --screenshot, also saves a PNG of the page.
//
// Chromium is `$FLOWFORM_CHROMIUM`, else `chromium` on PATH. The network is never used: Mermaid
// and marked are loaded from node_modules through file:// URLs.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.join(here, "node_modules");

function usage() {
  process.stderr.write("usage: node check.mjs parse DIR | render FILE.md [--screenshot OUT.png]\n");
  process.exit(64);
}

async function parseAll(directory) {
  const { JSDOM } = await import("jsdom");
  const { window } = new JSDOM("<!doctype html><html><body></body></html>");
  globalThis.window = window;
  globalThis.document = window.document;
  const { default: mermaid } = await import("mermaid");
  mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();

  const files = fs.readdirSync(directory).filter((name) => /\.(mmd|dot)$/.test(name)).sort();
  if (files.length === 0) {
    process.stderr.write(`error: no .mmd or .dot files in ${directory}\n`);
    return 1;
  }
  let failures = 0;
  for (const name of files) {
    const text = fs.readFileSync(path.join(directory, name), "utf8");
    try {
      if (name.endsWith(".mmd")) {
        const parsed = await mermaid.parse(text);
        if (!parsed || !String(parsed.diagramType).startsWith("flowchart")) {
          throw new Error(`not a flowchart: ${JSON.stringify(parsed)}`);
        }
        process.stdout.write(`ok ${name} (mermaid ${parsed.diagramType})\n`);
      } else {
        const svg = graphviz.dot(text);
        if (!svg.includes("<svg")) throw new Error("graphviz drew no SVG");
        process.stdout.write(`ok ${name} (graphviz ${graphviz.version()})\n`);
      }
    } catch (error) {
      failures += 1;
      const message = String((error && error.message) || error).split("\n").join("\n    ");
      process.stdout.write(`FAILED ${name}\n    ${message}\n`);
    }
  }
  return failures === 0 ? 0 : 1;
}

function chromiumPath() {
  if (process.env.FLOWFORM_CHROMIUM) return process.env.FLOWFORM_CHROMIUM;
  for (const directory of (process.env.PATH || "").split(path.delimiter)) {
    const candidate = path.join(directory, "chromium");
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

// The page: the document as base64 (so nothing in it can end the script), converted by marked
// and drawn by Mermaid; the outcome goes into <pre id="flowform-result"> as base64 JSON.
function page(markdown) {
  const script = (file) => pathToFileURL(path.join(modules, file)).href;
  const source = Buffer.from(markdown, "utf8").toString("base64");
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>flowform diagrams</title>
<style>body { margin: 16px; background: #fff; font-family: sans-serif; } .diagram { margin: 8px 0; }</style>
<script src="${script("marked/lib/marked.umd.js")}"></script>
<script src="${script("mermaid/dist/mermaid.min.js")}"></script>
</head><body><div id="document"></div>
<script>
(async () => {
  const result = { diagrams: [] };
  try {
    const bytes = Uint8Array.from(atob("${source}"), (c) => c.charCodeAt(0));
    const markdown = new TextDecoder().decode(bytes);
    document.getElementById("document").innerHTML = marked.parse(markdown);
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
    const blocks = [...document.querySelectorAll("pre > code.language-mermaid")];
    for (const [index, code] of blocks.entries()) {
      const entry = { index, ok: false };
      try {
        const { svg } = await mermaid.render("diagram" + index, code.textContent);
        const holder = document.createElement("div");
        holder.className = "diagram";
        holder.innerHTML = svg;
        code.parentElement.replaceWith(holder);
        const drawn = holder.querySelector("svg");
        const box = drawn ? drawn.getBBox() : { width: 0, height: 0 };
        entry.nodes = holder.querySelectorAll("g.node").length;
        entry.edges = holder.querySelectorAll("g.edgePaths path, path.flowchart-link").length;
        entry.labels = [...holder.querySelectorAll("g.node")].map((node) => node.textContent.trim());
        entry.width = Math.round(box.width);
        entry.height = Math.round(box.height);
        entry.syntax_error = svg.includes("Syntax error");
        entry.ok = !!drawn && !entry.syntax_error && entry.nodes > 0 && box.width > 0;
      } catch (error) {
        entry.error = String((error && error.message) || error);
      }
      result.diagrams.push(entry);
    }
  } catch (error) {
    result.error = String((error && error.message) || error);
  }
  const bytes = new TextEncoder().encode(JSON.stringify(result));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const marker = document.createElement("pre");
  marker.id = "flowform-result";
  marker.style.display = "none";
  marker.textContent = btoa(binary);
  document.body.appendChild(marker);
})();
</script></body></html>
`;
}

function runChromium(chromium, profile, extra, url) {
  const flags = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    // Virtual time runs the page's scripts to completion before the DOM is dumped, however
    // slow the machine is.
    "--virtual-time-budget=60000",
    ...extra,
    url,
  ];
  return spawnSync(chromium, flags, { encoding: "utf8", timeout: 180_000, maxBuffer: 256 << 20 });
}

function render(file, screenshot) {
  const chromium = chromiumPath();
  if (!chromium) {
    process.stderr.write(
      "error: chromium is not installed (no `chromium` on PATH and FLOWFORM_CHROMIUM is unset)\n" +
        "hint: run tests/mermaid/install.sh (the install step of .ci/run)\n",
    );
    return 2;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "flowform-render-"));
  try {
    const markdown = fs.readFileSync(file, "utf8");
    const html = path.join(work, "page.html");
    fs.writeFileSync(html, page(markdown));
    const url = pathToFileURL(html).href;
    const dumped = runChromium(chromium, path.join(work, "profile"), ["--dump-dom"], url);
    if (dumped.error || dumped.status !== 0) {
      process.stderr.write(
        `error: chromium failed (${dumped.error ? dumped.error.message : "exit " + dumped.status})\n${dumped.stderr}\n`,
      );
      return 1;
    }
    const found = /<pre id="flowform-result"[^>]*>([A-Za-z0-9+/=]*)<\/pre>/.exec(dumped.stdout);
    if (!found) {
      process.stderr.write("error: the page never reported a result (Mermaid did not finish)\n");
      return 1;
    }
    const result = JSON.parse(Buffer.from(found[1], "base64").toString("utf8"));
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    if (screenshot) {
      const width = Math.max(800, ...result.diagrams.map((d) => (d.width || 0) + 48));
      const height = Math.max(
        300,
        result.diagrams.reduce((sum, d) => sum + (d.height || 0) + 40, 60),
      );
      const shot = runChromium(
        chromium,
        path.join(work, "profile-screenshot"),
        [`--screenshot=${path.resolve(screenshot)}`, `--window-size=${width},${height}`, "--hide-scrollbars"],
        url,
      );
      if (shot.error || shot.status !== 0 || !fs.existsSync(screenshot)) {
        process.stderr.write(`error: chromium took no screenshot\n${shot.stderr}\n`);
        return 1;
      }
    }
    if (result.error) {
      process.stderr.write(`error: the page failed: ${result.error}\n`);
      return 1;
    }
    if (result.diagrams.length === 0) {
      process.stderr.write("error: the document holds no ```mermaid block\n");
      return 1;
    }
    const failed = result.diagrams.filter((diagram) => !diagram.ok);
    for (const diagram of failed) {
      process.stderr.write(`error: diagram ${diagram.index} did not draw: ${diagram.error || "no SVG"}\n`);
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

const [mode, target, ...rest] = process.argv.slice(2);
if (!fs.existsSync(path.join(modules, "mermaid"))) {
  process.stderr.write(
    `error: ${modules} is missing\nhint: run tests/mermaid/install.sh (the install step of .ci/run)\n`,
  );
  process.exit(2);
}
if (mode === "parse" && target) {
  process.exit(await parseAll(target));
} else if (mode === "render" && target) {
  let screenshot = null;
  if (rest[0] === "--screenshot" && rest[1]) screenshot = rest[1];
  else if (rest.length) usage();
  process.exit(render(target, screenshot));
} else {
  usage();
}
