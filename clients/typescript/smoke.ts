// Smoke test of a running agentport server from TypeScript, over gRPC-web (HTTP/1.1) as a
// browser would call it. The client is generated from proto/ by `npm run generate` (Buf's
// protoc-gen-es); the transport is Connect's gRPC-web transport for Node.
//
// Steps: create an agent, read it, list it, export it, import the bundle into another tenant
// and read the copy, and see a refusal keep its gRPC code.
//
// Usage: npx tsx smoke.ts --target 127.0.0.1:PORT
// Prints one line per step and closes with "N passed, M failed"; exits non-zero on any failure.

import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";

import { AgentStatus } from "./gen/agentport/v1/agent_pb.js";
import { AgentService, ConflictPolicy } from "./gen/agentport/v1/agent_service_pb.js";
import { ImportState } from "./gen/agentport/v1/job_pb.js";

/** Deadline of every call, in milliseconds. */
const TIMEOUT_MS = 10_000;

const { values } = parseArgs({ options: { target: { type: "string" } } });
if (!values.target) {
  console.error("usage: smoke.ts --target HOST:PORT");
  process.exit(2);
}

const transport = createGrpcWebTransport({ baseUrl: `http://${values.target}`, httpVersion: "1.1" });
const agents = createClient(AgentService, transport);
const call = { timeoutMs: TIMEOUT_MS };

// A fresh pair of tenants per run, so runs against one server never collide.
const run = randomUUID().slice(0, 8);
const source = `tenants/ts-${run}`;
const target = `tenants/ts-${run}-copy`;
const agentId = "typescript-smoke";
const name = `${source}/agents/${agentId}`;
let bundle = { data: "", checksum: "" };

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const steps: [string, () => Promise<string>][] = [
  [
    "create",
    async () => {
      // A bundle carries only agents an Emporix import accepts: a prompt and a model are required.
      const agent = {
        displayName: { en: "TypeScript smoke" },
        status: AgentStatus.ACTIVE,
        instructions: { general: "Answer questions about the catalogue." },
        llm: { provider: "openai", model: "gpt-4o-mini" },
      };
      const created = await agents.createAgent({ parent: source, agentId, agent }, call);
      check(created.name === name, `name ${created.name}, expected ${name}`);
      return created.name;
    },
  ],
  [
    "get",
    async () => {
      const got = await agents.getAgent({ name }, call);
      check(got.displayName["en"] === "TypeScript smoke", `display name ${JSON.stringify(got.displayName)}`);
      check(got.status === AgentStatus.ACTIVE, `status ${got.status}`);
      check(got.revision === 1n && got.etag !== "", `revision ${got.revision}, etag ${got.etag}`);
      return `revision ${got.revision}, etag ${got.etag}`;
    },
  ],
  [
    "list",
    async () => {
      const page = await agents.listAgents({ parent: source, pageSize: 10 }, call);
      check(page.agents.map((a) => a.name).includes(name), `listed ${page.agents.map((a) => a.name)}`);
      return `${page.agents.length} agent(s)`;
    },
  ],
  [
    "export",
    async () => {
      const exported = await agents.exportAgents({ parent: source, agentIds: [agentId] }, call);
      check(exported.data !== "" && /^[0-9a-f]{64}$/.test(exported.checksum), `checksum ${exported.checksum}`);
      bundle = { data: exported.data, checksum: exported.checksum };
      return `${exported.data.length} bytes of bundle, checksum ${exported.checksum.slice(0, 12)}…`;
    },
  ],
  [
    "import",
    async () => {
      const request = { parent: target, ...bundle, conflictPolicy: ConflictPolicy.UNSPECIFIED };
      const imported = await agents.importAgents(request, call);
      const states = imported.summary?.agents.map((a) => a.state) ?? [];
      check(states.length === 1 && states[0] !== ImportState.FAILED, `agent states ${states}`);
      const copy = await agents.getAgent({ name: `${target}/agents/${agentId}` }, call);
      check(copy.displayName["en"] === "TypeScript smoke", `copy ${JSON.stringify(copy.displayName)}`);
      return imported.message;
    },
  ],
  [
    "errors",
    async () => {
      try {
        await agents.getAgent({ name: `${source}/agents/missing` }, call);
      } catch (err) {
        const e = ConnectError.from(err);
        check(e.code === Code.NotFound, `code ${Code[e.code]}, expected NotFound`);
        return `NotFound: ${e.rawMessage}`;
      }
      throw new Error("GetAgent of a missing agent succeeded");
    },
  ],
];

let passed = 0;
let failed = 0;
for (const [label, step] of steps) {
  try {
    console.log(`ok   ${label}: ${await step()}`);
    passed++;
  } catch (err) {
    console.log(`FAIL ${label}: ${err instanceof Error ? err.message : String(err)}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
