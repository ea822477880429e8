// Generated policies for the scaling and compile-time suites: R rules spread
// round-robin over T tools, and a policy whose tool carries a payload it never
// reads. Text only; suites compile it with benchmarks/lib/policy.ts.

/** Tool j's name. Dotted names like real ones (`svc3.op`), so dispatch is by id, never by pattern. */
export const toolName = (j: number) => `svc${j}.op`;

/**
 * R rules over T tools. Rule i targets tool i mod T and reads two fields, and only rule 0 matches
 * the benchmark call (see scaleCall). `keyed` (the default): each rule tests `kind` against
 * constants, `==` or `in` alternately (`args.kind in ["k7", "x7"]`), which the compiler indexes
 * (compiler/index-rules.ts), so only the rules keyed by the call's value are evaluated. `range`:
 * each rule compares `amount` with a number instead, which no index can skip, so every rule of the
 * called tool is evaluated.
 */
export function scalePolicy(rules: number, tools: number, shape: "keyed" | "range" = "keyed"): string {
  const out = [`policy scale_${rules}_${tools} "generated: ${rules} rules over ${tools} tools"`, "", "default deny", ""];
  for (let j = 0; j < tools; j++) out.push(`tool ${toolName(j)} { amount: number, kind: string, note?: string } write`);
  out.push("");
  const effects = ["deny", "approve", "allow"] as const;
  for (let i = 0; i < rules; i++) {
    const t = toolName(i % tools);
    // Rule 0 matches the benchmark call; the rest differ in `kind` (or `amount`) and cannot match it.
    if (i === 0) out.push(`allow ${t} if args.kind == "k0" and args.amount < 100`);
    else if (shape === "range") out.push(`${effects[i % 3]} ${t} if args.amount > ${i + 100} and args.kind != "k${i}"`);
    else if (i % 2 === 0) out.push(`${effects[i % 3]} ${t} if args.kind == "k${i}" and args.amount > ${i}`);
    else out.push(`${effects[i % 3]} ${t} if args.kind in ["k${i}", "x${i}"] and args.amount > ${i}`);
  }
  return out.join("\n") + "\n";
}

/** The call the scaling suite times: tool 0, matched by rule 0 only. */
export const scaleCall = () => ({ tool: toolName(0), args: { amount: 5, kind: "k0" }, agent: { id: "bench", trust: 90 }, env: "production" });

/**
 * A tool whose args carry a payload the policy never reads: the two rules read
 * `amount` and `kind` only. `payload` is a string, `items` a list of records.
 */
export const PAYLOAD_POLICY = `policy payload "two fields read, the rest carried"

default deny

tool doc.put { amount: number, kind: string, payload: string, items: list<{ sku: string, qty: number }> } write

allow doc.put if args.amount <= 100 and args.kind == "invoice"
deny  doc.put if args.amount > 1000 because "too large"
`;

/** A doc.put call whose JSON is about `bytes` long, the extra size in the string payload or in list items. */
export function payloadCall(bytes: number, shape: "string" | "items"): Record<string, unknown> {
  const base = { tool: "doc.put", args: { amount: 42, kind: "invoice", payload: "", items: [] as { sku: string; qty: number }[] }, agent: { id: "bench", trust: 90 }, env: "production" };
  const size = () => JSON.stringify(base).length;
  if (shape === "string") base.args.payload = "x".repeat(Math.max(0, bytes - size()));
  else {
    // Items of about 30 bytes each ({"sku":"sku-00001","qty":3},), then top up the string.
    for (let i = 0; size() + 30 <= bytes; i++) base.args.items.push({ sku: `sku-${String(i).padStart(5, "0")}`, qty: i % 7 });
    base.args.payload = "x".repeat(Math.max(0, bytes - size()));
  }
  return base;
}
