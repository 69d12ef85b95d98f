#!/usr/bin/env python3
"""Smoke test of a running agentport server, as an outside Python client sees it.

Uses only stubs generated from proto/ by grpc_tools.protoc and the official grpc packages
(grpcio, grpcio-reflection, grpcio-health-checking). Steps:

  reflection  list services over reflection v1alpha and v1; fetch and decode the file
              descriptor of agentport.v1.AgentService
  health      overall "" and agentport.v1.AgentService report SERVING
  agents      CreateAgent, GetAgent (revision 1, etag), ListAgents (page_size 10)
  secrets     CreateSecret; no response ever carries the secret value
  errors      a malformed agent id is refused with INVALID_ARGUMENT

Usage: smoke_test.py --target 127.0.0.1:PORT --stubs DIR
Prints one line per step and closes with "N passed, M failed"; exits non-zero on any failure.
"""

import argparse
import secrets
import sys
import traceback

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

AGENT_SERVICE = "agentport.v1.AgentService"
HEALTH_SERVICE = "grpc.health.v1.Health"
TENANT = "tenants/smoke"
# Deadline of every call, in seconds.
TIMEOUT = 10.0

# grpcio-reflection ships only the v1alpha stubs. The v1 protocol is wire-identical (same
# messages, other package name), so it is called by its method path with v1alpha messages.
V1_REFLECTION_METHOD = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"


class SmokeFailure(Exception):
    """A check that did not hold."""


def check(condition, message):
    if not condition:
        raise SmokeFailure(message)


# ---------------------------------------------------------------------------------------------
# Reflection


def v1alpha_reflection(channel):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    return lambda requests: stub.ServerReflectionInfo(iter(requests), timeout=TIMEOUT)


def v1_reflection(channel):
    try:  # newer grpcio-reflection releases may ship v1 stubs
        from grpc_reflection.v1 import reflection_pb2 as v1_pb2  # type: ignore
        from grpc_reflection.v1 import reflection_pb2_grpc as v1_grpc  # type: ignore

        stub = v1_grpc.ServerReflectionStub(channel)

        def call(requests):
            converted = [v1_pb2.ServerReflectionRequest.FromString(r.SerializeToString()) for r in requests]
            for response in stub.ServerReflectionInfo(iter(converted), timeout=TIMEOUT):
                yield reflection_pb2.ServerReflectionResponse.FromString(response.SerializeToString())

        return call
    except ImportError:
        method = channel.stream_stream(
            V1_REFLECTION_METHOD,
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        return lambda requests: method(iter(requests), timeout=TIMEOUT)


def reflect_one(call, request, version):
    """Sends one reflection request and returns its single response."""
    responses = list(call([request]))
    check(len(responses) == 1, f"reflection {version}: expected 1 response, got {len(responses)}")
    response = responses[0]
    if response.HasField("error_response"):
        err = response.error_response
        raise SmokeFailure(
            f"reflection {version}: server answered error {err.error_code}: {err.error_message!r}"
        )
    return response


def list_services(call, version):
    response = reflect_one(call, reflection_pb2.ServerReflectionRequest(list_services=""), version)
    check(
        response.HasField("list_services_response"),
        f"reflection {version}: list_services got no list_services_response: {response}",
    )
    return sorted(s.name for s in response.list_services_response.service)


def file_descriptors(call, version, **request):
    response = reflect_one(call, reflection_pb2.ServerReflectionRequest(**request), version)
    check(
        response.HasField("file_descriptor_response"),
        f"reflection {version}: {request} got no file_descriptor_response: {response}",
    )
    files = []
    for raw in response.file_descriptor_response.file_descriptor_proto:
        try:
            files.append(descriptor_pb2.FileDescriptorProto.FromString(raw))
        except Exception as exc:  # noqa: BLE001 - any decode error is a failure
            raise SmokeFailure(f"reflection {version}: a file descriptor does not decode: {exc}")
    check(files, f"reflection {version}: {request} returned no file descriptors")
    return files


def resolve_service(call, version, symbol):
    """Fetches the file defining `symbol` plus every file it imports, builds a descriptor
    pool from them and returns the service descriptor."""
    files = {f.name: f for f in file_descriptors(call, version, file_containing_symbol=symbol)}
    # Reflection servers usually send the transitive imports along; fetch any that are missing.
    for _ in range(50):
        missing = sorted({d for f in files.values() for d in f.dependency} - set(files))
        if not missing:
            break
        for name in missing:
            for f in file_descriptors(call, version, file_by_filename=name):
                files.setdefault(f.name, f)
    pool = descriptor_pool.DescriptorPool()
    added = set()

    def add(name):
        if name in added:
            return
        check(name in files, f"reflection {version}: import {name!r} could not be fetched")
        for dep in files[name].dependency:
            add(dep)
        pool.Add(files[name])
        added.add(name)

    for name in sorted(files):
        add(name)
    try:
        return pool.FindServiceByName(symbol)
    except KeyError:
        raise SmokeFailure(f"reflection {version}: {symbol} is not in the descriptors it returned")


def step_reflection(channel, stubs):
    for version, call in (("v1alpha", v1alpha_reflection(channel)), ("v1", v1_reflection(channel))):
        services = list_services(call, version)
        for wanted in (AGENT_SERVICE, HEALTH_SERVICE):
            check(wanted in services, f"reflection {version}: {wanted} not listed; listed: {services}")
        service = resolve_service(call, version, AGENT_SERVICE)
        methods = {m.name for m in service.methods}
        for wanted in ("CreateAgent", "GetAgent", "ListAgents", "CreateSecret"):
            check(wanted in methods, f"reflection {version}: {AGENT_SERVICE} lacks {wanted}; has {sorted(methods)}")
    return f"v1alpha and v1 list {AGENT_SERVICE} and {HEALTH_SERVICE}; descriptor decodes ({len(methods)} methods)"


# ---------------------------------------------------------------------------------------------
# Health


def step_health(channel, stubs):
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ("", AGENT_SERVICE):
        response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=TIMEOUT)
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        check(
            response.status == health_pb2.HealthCheckResponse.SERVING,
            f"health {service!r}: status {status}, expected SERVING",
        )
    return f'"" and {AGENT_SERVICE} are SERVING'


# ---------------------------------------------------------------------------------------------
# Agents and secrets


def list_all(method, request, field, max_pages=100):
    """Pages through a List method and returns (items, pages)."""
    items = []
    for page in range(1, max_pages + 1):
        response = method(request, timeout=TIMEOUT)
        batch = list(getattr(response, field))
        check(
            len(batch) <= request.page_size,
            f"{field}: page of {len(batch)} items exceeds page_size {request.page_size}",
        )
        items.extend(batch)
        yield response
        if not response.next_page_token:
            return
        request.page_token = response.next_page_token
    raise SmokeFailure(f"{field}: still more pages after {max_pages}")


def step_agents(channel, stubs):
    agent_pb2, service_pb2, service_grpc = stubs["agent"], stubs["service"], stubs["service_grpc"]
    stub = service_grpc.AgentServiceStub(channel)
    agent_id = f"py-agent-{secrets.token_hex(6)}"
    name = f"{TENANT}/agents/{agent_id}"

    created = stub.CreateAgent(
        service_pb2.CreateAgentRequest(
            parent=TENANT,
            agent_id=agent_id,
            agent=agent_pb2.Agent(display_name={"en": "Python smoke"}, status=agent_pb2.AGENT_STATUS_ACTIVE),
        ),
        timeout=TIMEOUT,
    )
    check(created.name == name, f"CreateAgent: name {created.name!r}, expected {name!r}")

    got = stub.GetAgent(service_pb2.GetAgentRequest(name=name), timeout=TIMEOUT)
    check(got.name == name, f"GetAgent: name {got.name!r}, expected {name!r}")
    check(
        dict(got.display_name) == {"en": "Python smoke"},
        f"GetAgent: display_name {dict(got.display_name)}, expected {{'en': 'Python smoke'}}",
    )
    check(
        got.status == agent_pb2.AGENT_STATUS_ACTIVE,
        f"GetAgent: status {agent_pb2.AgentStatus.Name(got.status)}, expected AGENT_STATUS_ACTIVE",
    )
    check(got.revision == 1, f"GetAgent: revision {got.revision}, expected 1")
    check(got.etag != "", "GetAgent: etag is empty")

    request = service_pb2.ListAgentsRequest(parent=TENANT, page_size=10)
    names = [a.name for r in list_all(stub.ListAgents, request, "agents") for a in r.agents]
    check(name in names, f"ListAgents(page_size=10): {name} not listed among {len(names)} agents")
    return f"created {name}; Get has revision 1 and etag {got.etag!r}; List contains it"


def step_secrets(channel, stubs):
    service_pb2, service_grpc, components_pb2 = stubs["service"], stubs["service_grpc"], stubs["components"]
    stub = service_grpc.AgentServiceStub(channel)
    secret_id = f"py-secret-{secrets.token_hex(6)}"
    name = f"{TENANT}/secrets/{secret_id}"
    value = f"smoke-value-{secrets.token_hex(16)}"
    needle = value.encode()

    def no_value(what, message):
        data = message.SerializeToString()
        check(needle not in data, f"{what}: response bytes contain the secret value")
        # The value must not come back in another encoding of the field either.
        if hasattr(message, "value"):
            check(message.value == "", f"{what}: `value` is set ({len(message.value)} characters)")

    created = stub.CreateSecret(
        service_pb2.CreateSecretRequest(
            parent=TENANT,
            secret_id=secret_id,
            secret=components_pb2.Secret(display_name="Python smoke secret", value=value),
        ),
        timeout=TIMEOUT,
    )
    check(created.name == name, f"CreateSecret: name {created.name!r}, expected {name!r}")
    no_value("CreateSecret", created)

    got = stub.GetSecret(service_pb2.GetSecretRequest(name=name), timeout=TIMEOUT)
    check(got.name == name, f"GetSecret: name {got.name!r}, expected {name!r}")
    no_value("GetSecret", got)

    request = service_pb2.ListSecretsRequest(parent=TENANT, page_size=10)
    found = False
    for response in list_all(stub.ListSecrets, request, "secrets"):
        no_value("ListSecrets", response)
        found = found or any(s.name == name for s in response.secrets)
    check(found, f"ListSecrets: {name} not listed")
    return f"created {name}; Create, Get and List responses never carry its value"


def step_errors(channel, stubs):
    agent_pb2, service_pb2, service_grpc = stubs["agent"], stubs["service"], stubs["service_grpc"]
    stub = service_grpc.AgentServiceStub(channel)
    try:
        stub.CreateAgent(
            service_pb2.CreateAgentRequest(
                parent=TENANT,
                agent_id="bad id!",
                agent=agent_pb2.Agent(display_name={"en": "Bad id"}),
            ),
            timeout=TIMEOUT,
        )
    except grpc.RpcError as err:
        check(
            err.code() == grpc.StatusCode.INVALID_ARGUMENT,
            f"CreateAgent(agent_id='bad id!'): {err.code().name} {err.details()!r}, expected INVALID_ARGUMENT",
        )
        return f"CreateAgent(agent_id='bad id!') -> INVALID_ARGUMENT: {err.details()}"
    raise SmokeFailure("CreateAgent(agent_id='bad id!') succeeded, expected INVALID_ARGUMENT")


STEPS = [
    ("reflection", step_reflection),
    ("health", step_health),
    ("agents", step_agents),
    ("secrets", step_secrets),
    ("errors", step_errors),
]


def load_stubs(directory):
    sys.path.insert(0, directory)
    try:
        from agentport.v1 import agent_pb2, agent_service_pb2, agent_service_pb2_grpc, components_pb2
    except ImportError as exc:
        sys.exit(f"FAIL: cannot import generated stubs from {directory!r}: {exc}")
    return {
        "agent": agent_pb2,
        "components": components_pb2,
        "service": agent_service_pb2,
        "service_grpc": agent_service_pb2_grpc,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="host:port of the agentport gRPC listener")
    parser.add_argument("--stubs", required=True, help="directory of stubs generated from proto/")
    args = parser.parse_args()

    stubs = load_stubs(args.stubs)
    passed = failed = 0
    with grpc.insecure_channel(args.target) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=TIMEOUT)
        except grpc.FutureTimeoutError:
            sys.exit(f"FAIL: cannot connect to {args.target} within {TIMEOUT:.0f}s")
        for label, step in STEPS:
            try:
                detail = step(channel, stubs)
            except SmokeFailure as exc:
                failed += 1
                print(f"FAIL {label}: {exc}", flush=True)
            except grpc.RpcError as err:
                failed += 1
                print(f"FAIL {label}: RPC failed: {err.code().name}: {err.details()!r}", flush=True)
            except Exception:  # noqa: BLE001 - report anything else with its traceback
                failed += 1
                print(f"FAIL {label}: unexpected error:\n{traceback.format_exc()}", flush=True)
            else:
                passed += 1
                print(f"ok   {label}: {detail}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
