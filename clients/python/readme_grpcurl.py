#!/usr/bin/env python3
"""Runs the grpcurl examples of README.md against a running server, the way grpcurl runs them.

grpcurl learns the API from the server's reflection and reads `-d` with the canonical proto3
JSON mapping (Go's protojson: unknown keys refused, `google.protobuf.FieldMask` as a string of
camelCase paths, enums by name). This script does the same with Python's implementation of that
mapping: descriptors from reflection, each body parsed into the request message (a body that
does not parse fails here as it would fail in grpcurl), the call made, the answer kept as JSON.

Every `grpcurl` command of the README's sections "Calling it with grpcurl" up to the next
top-level section runs in order, as written. Shell around them is honoured as far as the
examples use it: `> FILE` keeps the answer, `"$(jq ... FILE)"` runs jq on it (the command is
skipped when jq is not installed), `| jq ...` is left out, `$PLAN_ID` is the last plan's id and
`<id...>` the last template's id. One step a reader does by hand is done first: the secret the
template import maps `secret-1` to exists in the target tenant.

Usage: readme_grpcurl.py --target 127.0.0.1:PORT [--readme README.md]
Exits non-zero when a body does not parse or a call fails.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

TIMEOUT = 10.0
FIRST_SECTION = "## Calling it with grpcurl"


class Reflected:
    """The server's API as reflection describes it, with grpcurl's JSON reading and writing."""

    def __init__(self, channel):
        self.stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        self.pool = descriptor_pool.DescriptorPool()
        self.added = set()
        self.channel = channel

    def _ask(self, **request):
        responses = self.stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(**request)]), timeout=TIMEOUT)
        return next(iter(responses))

    def services(self):
        answer = self._ask(list_services="")
        return [s.name for s in answer.list_services_response.service]

    def _add(self, answer):
        """Adds the files of a reflection answer after their dependencies, fetched by name as
        grpcurl fetches them."""
        for raw in answer.file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(raw)
            if file.name in self.added:
                continue
            for dependency in file.dependency:
                if dependency not in self.added:
                    self._add(self._ask(file_by_filename=dependency))
            self.pool.Add(file)
            self.added.add(file.name)

    def method(self, path):
        service, name = path.rsplit("/", 1)
        try:
            descriptor = self.pool.FindServiceByName(service)
        except KeyError:
            self._add(self._ask(file_containing_symbol=service))
            descriptor = self.pool.FindServiceByName(service)
        return descriptor.methods_by_name[name]

    def call(self, path, body):
        method = self.method(path)
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        request = json_format.Parse(body or "{}", request_class())  # unknown keys refused, as in grpcurl
        call = f"/{method.containing_service.full_name}/{method.name}"
        if method.server_streaming:
            stub = self.channel.unary_stream(call, request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_class.FromString)
            answers = list(stub(request, timeout=TIMEOUT))
        else:
            stub = self.channel.unary_unary(call, request_serializer=lambda m: m.SerializeToString(), response_deserializer=response_class.FromString)
            answers = [stub(request, timeout=TIMEOUT)]
        return "\n".join(json_format.MessageToJson(a) for a in answers)


def commands(readme):
    """The shell commands of the sh blocks from FIRST_SECTION up to the next `## ` section."""
    text = readme.split(FIRST_SECTION, 1)[1]
    text = re.split(r"^## ", text, flags=re.M)[0]
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        pending = ""
        for line in block.splitlines():
            if not pending and (not line.strip() or line.lstrip().startswith("#")):
                continue
            pending += line + "\n"
            if pending.endswith("\\\n"):
                pending = pending[:-2] + " "
                continue
            try:
                shlex.split(pending)
            except ValueError:
                continue  # a quote still open: the command goes on
            yield pending.strip()
            pending = ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--readme", default="README.md")
    args = parser.parse_args()
    readme = open(args.readme, encoding="utf-8").read()
    work = tempfile.mkdtemp()
    channel = grpc.insecure_channel(args.target)
    api = Reflected(channel)
    have_jq = shutil.which("jq") is not None
    env = dict(os.environ)
    template_id = None
    failures = 0
    ran = 0

    # What a reader has before the template import: a secret of their own in the target tenant.
    api.call("agentport.v1.AgentService/CreateSecret", json.dumps({
        "parent": "tenants/staging", "secretId": "my-anthropic-key", "secret": {"displayName": "Mine", "value": "sk-mine"}}))

    for command in commands(readme):
        # `"$(jq ...)"` is a command of its own inside the quotes (shlex would end the string
        # at jq's first double quote): taken out before splitting.
        substituted = re.search(r'"\$\((jq .*?)\)"(?=\s)', command)
        if substituted:
            command = command.replace(substituted.group(0), "__JQ__")
        tokens = shlex.split(command, posix=True)
        if not tokens or tokens[0] != "grpcurl":
            continue
        if "|" in tokens:
            tokens = tokens[: tokens.index("|")]
        out_file = None
        if ">" in tokens:
            out_file = tokens[tokens.index(">") + 1]
            tokens = tokens[: tokens.index(">")]
        body = None
        if "-d" in tokens:
            body = tokens[tokens.index("-d") + 1]
        positional = [t for i, t in enumerate(tokens[1:], 1) if not t.startswith("-") and tokens[i - 1] != "-d"]
        label = positional[-1] if positional else command
        if body == "__JQ__":
            if not have_jq:
                print(f"skip  {label} (needs jq)")
                continue
            jq = shlex.split(substituted.group(1))
            # Shell variables ($PLAN_ID); jq's own ($id) are lowercase.
            jq = [re.sub(r"\$([A-Z][A-Z0-9_]*)", lambda m: env.get(m.group(1), ""), t) for t in jq]
            body = subprocess.run(jq, cwd=work, check=True, capture_output=True, text=True).stdout
        if body and template_id:
            body = re.sub(r"<id[^>]*>", template_id, body)
        try:
            if label == "list":
                answer = "\n".join(api.services())
            else:
                answer = api.call(label, body)
        except (json_format.ParseError, grpc.RpcError, KeyError) as e:
            failures += 1
            detail = e.details() if isinstance(e, grpc.RpcError) else e
            print(f"FAIL  {label}: {detail}\n      {command}", file=sys.stderr)
            continue
        ran += 1
        print(f"ok    {label}")
        if out_file:
            open(os.path.join(work, out_file), "w", encoding="utf-8").write(answer)
        found = re.search(r"tenants/[^/\"]+/templates/([^/\"]+)", answer)
        template_id = found.group(1) if found else template_id
        plan = re.search(r"\"planId\": \"([^\"]+)\"", answer)
        if plan:
            env["PLAN_ID"] = plan.group(1)

    print(f"{ran} README grpcurl commands ran, {failures} failed")
    sys.exit(1 if failures or ran == 0 else 0)


if __name__ == "__main__":
    main()
