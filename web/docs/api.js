// The API reference at /docs/api: fetches /openapi.json and shows every operation by tag,
// with its parameters, body, answers and credentials, and every component schema. Public,
// like the description itself: it needs no session. Everything from the description is
// written as text (textContent, attributes through setAttribute), never parsed as markup,
// so the page holds under the hub's Content-Security-Policy (no inline script or style).
(async function () {
  "use strict";
  const main = document.getElementById("api");

  /// An element with attributes and children (strings become text nodes).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value != null && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  let spec;
  try {
    const response = await fetch("/openapi.json", { credentials: "omit" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    spec = await response.json();
  } catch (error) {
    main.replaceChildren(el("p", { class: "no", id: "api-problem" }, "The description could not be read: " + error.message));
    return;
  }

  /// `#/components/schemas/Name` → "Name" (only local references are written by the hub).
  const refName = (ref) => String(ref).split("/").pop();
  const anchor = (kind, name) => kind + "-" + String(name).replace(/[^A-Za-z0-9_-]/g, "_");
  const resolve = (obj, kind) => (obj && obj.$ref ? (spec.components[kind] || {})[refName(obj.$ref)] || {} : obj || {});

  /// A schema's type in a few words: `Name` (a link), `array of …`, `string | null`, an enum.
  function typeOf(schema) {
    if (!schema || typeof schema !== "object") return el("span", { class: "type" }, "any");
    if (schema.$ref) {
      const name = refName(schema.$ref);
      return el("a", { class: "type", href: "#" + anchor("schema", name) }, name);
    }
    if ("const" in schema) return el("span", { class: "type" }, JSON.stringify(schema.const));
    if (schema.enum) return el("span", { class: "type" }, "one of " + schema.enum.map((v) => JSON.stringify(v)).join(", "));
    for (const key of ["oneOf", "anyOf"]) {
      if (schema[key]) {
        const parts = [];
        schema[key].forEach((s, i) => { if (i) parts.push(" | "); parts.push(typeOf(s)); });
        return el("span", {}, ...parts);
      }
    }
    const types = [].concat(schema.type || "any");
    if (types.includes("array")) return el("span", {}, el("span", { class: "type" }, "array of "), typeOf(schema.items));
    const limits = [];
    if (schema.format) limits.push(schema.format);
    if (schema.maxLength != null) limits.push("≤ " + schema.maxLength);
    if (schema.minimum != null || schema.maximum != null) limits.push((schema.minimum ?? "") + "…" + (schema.maximum ?? ""));
    if (schema.pattern) limits.push(schema.pattern);
    return el("span", { class: "type" }, types.join(" | ") + (limits.length ? " (" + limits.join(", ") + ")" : ""));
  }

  /// A schema as a list of its fields (objects, nested), or its type alone.
  function schemaTree(schema, depth) {
    const list = el("ul", { class: "schema" });
    // A body names its schema: shown with its fields, the name a link to its definition.
    if (depth === 0 && schema && schema.$ref) {
      list.append(el("li", {}, typeOf(schema), schemaTree(resolve(schema, "schemas"), 1)));
      return list;
    }
    const s = schema || {};
    const props = s.properties || {};
    const required = new Set(s.required || []);
    if (!s.$ref && Object.keys(props).length && depth < 4) {
      for (const [name, sub] of Object.entries(props)) {
        const item = el("li", {}, el("span", { class: "name" }, name), required.has(name) ? el("span", { class: "req" }, "*") : null,
          ": ", typeOf(sub), sub && sub.description ? el("span", { class: "desc" }, " — " + sub.description) : null);
        if (sub && !sub.$ref && (sub.properties || (sub.items && sub.items.properties))) {
          item.append(schemaTree(sub.properties ? sub : sub.items, depth + 1));
        }
        list.append(item);
      }
      if (s.additionalProperties === false) list.append(el("li", { class: "desc" }, "no other field"));
    } else if (s.oneOf && !s.$ref) {
      for (const option of s.oneOf) list.append(el("li", {}, "one of: ", typeOf(option), schemaTree(option, depth + 1)));
    } else if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object") {
      list.append(el("li", {}, el("span", { class: "name" }, "{name}"), ": ", typeOf(s.additionalProperties)));
    } else {
      list.append(el("li", {}, typeOf(s)));
    }
    if (s.description && depth === 0) list.prepend(el("li", { class: "desc" }, s.description));
    return list;
  }

  /// Who may call: each alternative the description lists, with the roles it names.
  function security(op) {
    const alternatives = op.security || [];
    if (!alternatives.length) return el("p", { class: "desc" }, "Public: no credential.");
    const schemes = spec.components.securitySchemes || {};
    return el("ul", { class: "schema" }, alternatives.map((alt) => el("li", {},
      Object.entries(alt).map(([name, roles], i) => [i ? " + " : "", el("span", { class: "name", title: (schemes[name] || {}).description }, name),
        roles.length ? el("span", { class: "desc" }, " (" + roles.join(", ") + ")") : null]))));
  }

  function parameters(op, pathItem) {
    const params = [...(pathItem.parameters || []), ...(op.parameters || [])].map((p) => resolve(p, "parameters"));
    if (!params.length) return null;
    return el("div", {}, el("h3", {}, "Parameters"), el("div", { class: "scroll" }, el("table", {},
      el("thead", {}, el("tr", {}, ["Name", "In", "Type", "About"].map((h) => el("th", {}, h)))),
      el("tbody", {}, params.map((p) => el("tr", {},
        el("td", {}, el("span", { class: "path" }, p.name), p.required ? el("span", { class: "req" }, " *") : null),
        el("td", {}, p.in), el("td", {}, typeOf(p.schema)), el("td", { class: "desc" }, p.description || "")))))));
  }

  function requestBody(op) {
    if (!op.requestBody) return null;
    const body = op.requestBody;
    return el("div", {}, el("h3", {}, "Body" + (body.required ? "" : " (optional)")),
      Object.entries(body.content || {}).map(([type, media]) => el("div", {}, el("span", { class: "tag" }, type),
        schemaTree(media.schema, 0))));
  }

  function responses(op) {
    const rows = Object.entries(op.responses || {}).map(([code, given]) => {
      const r = resolve(given, "responses");
      const media = Object.entries(r.content || {});
      const headers = Object.keys(r.headers || {});
      return el("tr", {},
        el("td", {}, el("span", { class: "status-code s" + code[0] }, code)),
        el("td", {}, el("div", { class: "desc" }, r.description || ""),
          headers.length ? el("div", { class: "desc" }, "Headers: " + headers.join(", ")) : null,
          media.map(([type, m]) => el("div", {}, el("span", { class: "tag" }, type), " ", typeOf(m.schema)))));
    });
    return el("div", {}, el("h3", {}, "Answers"), el("div", { class: "scroll" }, el("table", {}, el("tbody", {}, rows))));
  }

  function operation(path, method, op, pathItem) {
    const flags = [];
    if (op["x-internal-only"]) flags.push("internal with --internal-address");
    if (op["x-limited-read"]) flags.push("read-limited");
    if (op["x-websocket"]) flags.push("WebSocket");
    if (op["x-test-endpoint"]) flags.push("--test-endpoints");
    const id = anchor("op", op.operationId || method + path);
    return el("details", { class: "op", id, "data-search": (method + " " + path + " " + (op.summary || "")).toLowerCase() },
      el("summary", {}, el("span", { class: "method " + method }, method.toUpperCase()), el("span", { class: "path" }, path),
        el("span", { class: "sub" }, op.summary || ""), flags.map((f) => el("span", { class: "tag" }, f))),
      el("div", { class: "body" }, op.description ? el("p", { class: "desc" }, op.description) : null,
        el("div", {}, el("h3", {}, "Who may call"), security(op)), parameters(op, pathItem), requestBody(op), responses(op)));
  }

  // Operations by tag, in the description's tag order; untagged ones last.
  const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  const byTag = new Map((spec.tags || []).map((t) => [t.name, []]));
  let count = 0;
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of methods) {
      if (!item[method]) continue;
      const tag = (item[method].tags || ["Other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, item[method], item));
      count += 1;
    }
  }

  const info = spec.info || {};
  const filter = el("input", { type: "search", id: "api-filter", placeholder: "Filter by method, path or summary", "aria-label": "Filter" });
  const sections = [...byTag.entries()].filter(([, ops]) => ops.length).map(([tag, ops]) =>
    el("section", { class: "panel", "data-tag": tag }, el("h2", {}, tag, " ", el("span", { class: "sub" }, String(ops.length))), ops));
  const schemas = Object.entries((spec.components || {}).schemas || {}).map(([name, schema]) =>
    el("div", { class: "schema-def", id: anchor("schema", name) }, el("span", { class: "name path" }, name), schemaTree(schema, 0)));
  const schemes = Object.entries((spec.components || {}).securitySchemes || {}).map(([name, s]) =>
    el("li", {}, el("span", { class: "name" }, name), ": ", el("span", { class: "desc" }, s.description || s.type)));
  main.replaceChildren(
    el("section", { class: "panel" }, el("h2", {}, (info.title || "API") + " ", el("span", { class: "sub" }, "version " + (info.version || "?"))),
      el("p", { class: "intro" }, info.description || ""), el("p", { class: "sub", id: "api-count" }, count + " operations"), filter),
    el("section", { class: "panel" }, el("h2", {}, "Credentials"), el("ul", { class: "schema" }, schemes)),
    ...sections,
    el("section", { class: "panel", id: "schemas" }, el("h2", {}, "Schemas"), schemas));

  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().trim().split(/\s+/).filter(Boolean);
    for (const op of main.querySelectorAll(".op")) {
      const text = op.getAttribute("data-search");
      op.hidden = !words.every((w) => text.includes(w));
    }
    for (const section of main.querySelectorAll("section[data-tag]")) {
      section.hidden = !section.querySelector(".op:not([hidden])");
    }
  });
  // A link to #op-… opens that operation.
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target && target.tagName === "DETAILS") target.open = true;
})();
