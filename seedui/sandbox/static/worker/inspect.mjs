// Turning JavaScript values into the text the console shows: a small cousin of Node's util.inspect, the
// console's format directives, and an error worded with the frames of the user's code only.

export function describeError(err) {
  if (err instanceof Error) {
    // Keep the message and the frames in the user's code, not this worker's own.
    const head = `${err.name}: ${err.message}`;
    const frames = (typeof err.stack === "string" ? err.stack : "")
      .split("\n")
      .filter((line) => /^\s+at /.test(line) && /main\.m?js/.test(line))
      .map((line) => line.replace(/\beval \((main\.m?js:\d+:\d+)\)/, "$1"));
    return { type: err.name || "Error", message: err.message, traceback: [head, ...frames].join("\n") };
  }
  return { type: "Error", message: "Uncaught " + inspect(err, 0), traceback: "Uncaught " + inspect(err, 0) };
}

export function formatArgs(args) {
  if (args.length === 0) return "";
  let first = args[0];
  let rest = args.slice(1);
  if (typeof first === "string" && /%[sdifoOjc%]/.test(first)) {
    first = first.replace(/%([sdifoOjc%])/g, (m, f) => {
      if (f === "%") return "%";
      if (rest.length === 0) return m;
      const v = rest.shift();
      switch (f) {
        case "s":
          return typeof v === "string" ? v : inspect(v, 1);
        case "d":
        case "i":
          return typeof v === "object" ? "NaN" : String(f === "i" ? parseInt(v, 10) : Number(v));
        case "f":
          return String(parseFloat(v));
        case "c":
          return "";
        default:
          return inspect(v, 0);
      }
    });
  }
  return [first, ...rest].map((v) => (typeof v === "string" ? v : inspect(v, 0))).join(" ");
}

export function inspect(value, depth, seen = new Set()) {
  const t = typeof value;
  if (value === null) return "null";
  if (t === "undefined") return "undefined";
  if (t === "string") return depth === 0 ? value : JSON.stringify(value).replace(/^"|"$/g, "'");
  if (t === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (t === "bigint") return `${value}n`;
  if (t === "boolean") return String(value);
  if (t === "symbol") return value.toString();
  if (t === "function") return `[${/^class\s/.test(Function.prototype.toString.call(value)) ? "class" : "Function"}: ${value.name || "(anonymous)"}]`;
  if (value instanceof Error) return value.stack || `${value.name}: ${value.message}`;
  if (seen.has(value)) return "[Circular]";
  if (depth > 3) return Array.isArray(value) ? "[Array]" : "[Object]";
  seen.add(value);
  try {
    const sub = (v) => inspect(v, depth + 1, seen);
    if (Array.isArray(value)) {
      const items = value.slice(0, 100).map(sub);
      if (value.length > 100) items.push(`... ${value.length - 100} more items`);
      return items.length ? `[ ${items.join(", ")} ]` : "[]";
    }
    if (value instanceof Map) return `Map(${value.size}) { ${[...value].map(([k, v]) => `${sub(k)} => ${sub(v)}`).join(", ")} }`;
    if (value instanceof Set) return `Set(${value.size}) { ${[...value].map(sub).join(", ")} }`;
    if (value instanceof Date) return value.toISOString();
    if (value instanceof RegExp) return String(value);
    if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length}) [ ${Array.from(value).slice(0, 100).join(", ")} ]`;
    if (value instanceof Promise) return "Promise { <pending> }";
    const keys = Object.keys(value);
    const name = value.constructor && value.constructor.name !== "Object" ? `${value.constructor.name} ` : "";
    if (!keys.length) return `${name}{}`;
    const props = keys.slice(0, 100).map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${sub(value[k])}`);
    return `${name}{ ${props.join(", ")} }`;
  } finally {
    seen.delete(value);
  }
}
