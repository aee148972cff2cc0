// Backpropagation for bpspec's file protocol (spec/adapter.md, ADP-6 and ADP-7), in float64.
//
// Written from the specification (spec/*.md), not from bpspec's Python code: a second, independent
// implementation that any reader can hold against the text. Node.js 20, no dependencies.
//
//   node backprop.mjs INPUT_DIR RESULTS.csv
//
// INPUT_DIR is what `bpspec export-inputs` wrote. Every line of steps.jsonl is one step computed from
// the given parameters (mode single); every line of trajectories.jsonl is a run of several updates,
// each from the parameters the previous one produced, reported at its recorded steps (mode free).

import { createReadStream, closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

// Activations (ACT-1 .. ACT-7): [f, f'], the derivative a function of net, in forms that never
// overflow and never subtract nearly equal numbers.
function sigmoid(z) {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

const ACTIVATIONS = {
  sigmoid: () => [sigmoid, (z) => sigmoid(z) * sigmoid(-z)],
  tanh: () => [Math.tanh, (z) => {
    const e = Math.exp(-2 * Math.abs(z)); // sech^2 z = 4e / (1 + e)^2
    return (4 * e) / ((1 + e) * (1 + e));
  }],
  relu: () => [(z) => (z > 0 ? z : 0), (z) => (z > 0 ? 1 : 0)], // relu'(0) = 0 (ACT-3)
  identity: () => [(z) => z, () => 1],
  leaky_relu: (params) => {
    const a = params.leaky_relu_slope === undefined ? 0.01 : Number(params.leaky_relu_slope);
    return [(z) => (z > 0 ? z : a * z), (z) => (z > 0 ? 1 : a)]; // slope a at 0 (ACT-5)
  },
  softplus: () => [(z) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))), sigmoid],
};

// Losses (LOSS-1 .. LOSS-3, CNV-3): [term(o, t), dterm/do], with d = o - t squared, never expanded.
const LOSSES = {
  half_sse: () => [(d) => 0.5 * d * d, (d) => d],
  sse: () => [(d) => d * d, (d) => 2 * d],
  mse: (n, factor) => [(d) => (d * d) / n, factor === "1" ? (d) => d : (d) => (2 * d) / n],
};

const CONVENTIONS = { // CNV-1 .. CNV-3, the conforming value first
  hidden_delta_weights: ["pre_update", "post_update"],
  bias_update: ["true", "false"],
  mse_grad_factor: ["2/n", "1"],
};

// Neumaier-compensated sum of f(0) .. f(n-1).
function sum(n, f) {
  let s = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = f(i);
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
    s = t;
  }
  return s + c;
}

const numbers = (a) => (Array.isArray(a) ? a.map(numbers) : Number(a));

// One training step (FWD, LOSS, BWD, GRD, UPD); per-layer arrays are indexed 0..L-1 for layers 1..L.
function step(inp) {
  if ((inp.dtype ?? "float64") !== "float64") throw new Error(`dtype ${inp.dtype} is not implemented`);
  if (!LOSSES[inp.loss] || !["sum", "mean"].includes(inp.reduction)) {
    throw new Error(`loss ${inp.loss} with reduction ${inp.reduction} is not implemented`);
  }
  const conv = {};
  for (const [name, values] of Object.entries(CONVENTIONS)) {
    conv[name] = inp.conventions?.[name] ?? values[0];
    if (!values.includes(conv[name])) throw new Error(`convention ${name} = ${conv[name]} is not implemented`);
  }
  const L = inp.layer_sizes.length - 1;
  const acts = inp.activations.map((name) => {
    if (!ACTIVATIONS[name]) throw new Error(`activation ${name} is not implemented`);
    return ACTIVATIONS[name](inp.activation_params ?? {});
  });
  const [x, y, W, b] = [inp.x, inp.y, inp.weights, inp.biases].map(numbers);
  const eta = Number(inp.learning_rate);
  const B = x.length;

  const nets = [];
  const outs = [];
  let a = x;
  for (let l = 0; l < L; l++) { // net = W a + b (FWD-1), out = f(net) (FWD-2)
    const net = a.map((row) => W[l].map((w, j) => sum(row.length, (k) => w[k] * row[k]) + b[l][j]));
    a = net.map((row) => row.map(acts[l][0]));
    nets.push(net);
    outs.push(a);
  }

  const nOut = inp.layer_sizes[L];
  const [term, dterm] = LOSSES[inp.loss](nOut, conv.mse_grad_factor);
  const r = inp.reduction === "mean" ? B : 1; // divide by B for a mean (LOSS-4)
  const diff = a.map((row, s) => row.map((o, j) => o - y[s][j]));
  const loss = sum(B, (s) => sum(nOut, (j) => term(diff[s][j]))) / r;
  let dEdout = diff.map((row) => row.map((d) => dterm(d) / r)); // BWD-1

  const deltas = new Array(L);
  const gradW = new Array(L);
  const gradB = new Array(L);
  const newW = new Array(L);
  const newB = new Array(L);
  for (let l = L - 1; l >= 0; l--) {
    const delta = dEdout.map((row, s) => row.map((g, j) => g * acts[l][1](nets[l][s][j]))); // BWD-2
    const aPrev = l === 0 ? x : outs[l - 1];
    gradW[l] = W[l].map((row, j) => row.map((_, k) => sum(B, (s) => delta[s][j] * aPrev[s][k]))); // GRD-1
    gradB[l] = b[l].map((_, j) => sum(B, (s) => delta[s][j])); // GRD-2
    newW[l] = W[l].map((row, j) => row.map((w, k) => w - eta * gradW[l][j][k])); // UPD-1
    newB[l] = conv.bias_update === "false" ? b[l].slice() : b[l].map((v, j) => v - eta * gradB[l][j]);
    deltas[l] = delta;
    if (l > 0) { // BWD-3 through the weights the step started from, or the updated ones (CNV-1)
      const through = conv.hidden_delta_weights === "post_update" ? newW[l] : W[l];
      dEdout = delta.map((row) => through[0].map((_, k) => sum(row.length, (j) => row[j] * through[j][k])));
    }
  }
  return { W, b, nets, outs, deltas, loss, gradW, gradB, newW, newB };
}

// The results file (ADP-7): case,step,name,value,mode with the names of NOT-2.
class Results {
  constructor(path) {
    this.fd = openSync(path, "w");
    this.chunks = ["case,step,name,value,mode\n"];
    this.size = 0;
  }

  row(id, s, name, v, mode) {
    // String(v) is the shortest decimal that reads back as the same double: full float64 precision.
    const line = `${id},${s},"${name}",${String(v)},${mode}\n`;
    this.chunks.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }

  step(id, s, o, mode) {
    const per = (q, layers) => layers.forEach((m, l) => m.forEach((row, i) => (Array.isArray(row)
      ? row.forEach((v, j) => this.row(id, s, `${q}[${l + 1}][${i},${j}]`, v, mode))
      : this.row(id, s, `${q}[${l + 1}][${i}]`, row, mode))));
    if (mode === "free") [["W", o.W], ["b", o.b]].forEach(([q, v]) => per(q, v));
    per("net", o.nets);
    per("out", o.outs);
    this.row(id, s, "E_total", o.loss, mode);
    [["delta", o.deltas], ["grad_W", o.gradW], ["grad_b", o.gradB], ["new_W", o.newW], ["new_b", o.newB]]
      .forEach(([q, v]) => per(q, v));
  }

  flush() {
    writeSync(this.fd, this.chunks.join(""));
    this.chunks = [];
    this.size = 0;
  }

  close() {
    this.flush();
    closeSync(this.fd);
  }
}

// A free-running trajectory (UPD-3, UPD-4, TOL-5): update s sees batches[s % m], or every row.
function runFree(t, out) {
  const record = new Set(t.record.filter((s) => s > 0));
  const [X, Y] = [numbers(t.x), numbers(t.y)];
  let [weights, biases] = [numbers(t.weights), numbers(t.biases)];
  for (let s = 0; s < t.steps_to_run; s++) {
    const rows = t.batches ? t.batches[s % t.batches.length] : X.map((_, i) => i);
    const o = step({ ...t, x: rows.map((i) => X[i]), y: rows.map((i) => Y[i]), weights, biases });
    if (record.has(s)) out.step(t.case, s, o, "free");
    [weights, biases] = [o.newW, o.newB];
  }
}

async function* records(path) {
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.trim()) yield JSON.parse(line);
  }
}

async function main([dir, resultsPath]) {
  if (!dir || !resultsPath) {
    console.error("usage: node backprop.mjs INPUT_DIR RESULTS.csv");
    return 2;
  }
  const out = new Results(resultsPath);
  const problems = new Map(); // message -> inputs it stopped
  const attempt = (run) => {
    try {
      run();
    } catch (err) {
      problems.set(err.message, (problems.get(err.message) ?? 0) + 1);
    }
  };
  try {
    for await (const rec of records(join(dir, "steps.jsonl"))) {
      attempt(() => out.step(rec.case, rec.step, step(rec), "single"));
    }
    for await (const rec of records(join(dir, "trajectories.jsonl"))) attempt(() => runFree(rec, out));
  } finally {
    out.close();
  }
  for (const [message, n] of problems) console.error(`backprop.mjs: ${n} inputs not computed: ${message}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2)).catch((err) => {
  console.error(`backprop.mjs: ${err.message}`);
  return 2;
});
