"""The httpx transports against a fake provider on loopback: the lease is held for the whole
stream (Java sees it, and a Java process at limit 1 waits for the stream to close), a 429 pauses
every process, and the provider's headers gate the next grants. Nothing reaches the internet."""

import asyncio
import os
import subprocess
import threading

import pytest

from conftest import CLI, java_status, until

if os.environ.get("INFLIGHT_REQUIRE_HTTPX"):  # CI: a missing httpx is a failure, not a skip
    import httpx
else:
    httpx = pytest.importorskip("httpx", reason="the transports need httpx (Debian: python3-httpx)")

import inflight  # noqa: E402
from inflight import Limiter  # noqa: E402

BODY = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "stream": True}


def held_leases(home):
    return [(l["provider"], l["model"], l["pid"]) for l in java_status(home)["leases"]]


def test_the_lease_is_held_until_the_stream_is_closed_and_java_sees_it(home, fake_provider):
    fake_provider.gate = threading.Event()
    with Limiter(home) as limiter:
        client = httpx.Client(transport=inflight.HTTPTransport(limiter, provider="openai"))
        with client.stream("POST", fake_provider.url + "/v1/chat/completions", json=BODY) as response:
            chunks = response.iter_raw()
            assert b"Hel" in next(chunks)
            assert held_leases(home) == [("openai", "gpt-4o", os.getpid())], "held mid-stream"
            fake_provider.gate.set()
            assert b"[DONE]" in b"".join(chunks)  # httpx closes a response read to its end
            assert held_leases(home) == [], "released when the stream ended"
        client.close()


def test_a_java_process_at_limit_1_waits_until_the_python_stream_closes(home, fake_provider, tmp_path):
    subprocess.run([CLI, "--home", str(home), "limits", "set", "openai", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    witness = tmp_path / "java-ran"
    fake_provider.gate = threading.Event()
    with Limiter(home) as limiter:
        client = httpx.Client(transport=inflight.HTTPTransport(limiter, provider="openai"))
        with client.stream("POST", fake_provider.url + "/v1/chat/completions", json=BODY) as response:
            chunks = response.iter_raw()
            next(chunks)
            java = subprocess.Popen([CLI, "--home", str(home), "run", "-q", "-p", "openai", "-l", "java",
                                     "--", "sh", "-c", f'echo ran > "{witness}"'])
            until(lambda: [w for w in java_status(home)["waiters"] if w["label"] == "java"],
                  "the Java process to queue behind the stream")
            assert not witness.exists(), "Java ran while the Python stream held the only slot"
            fake_provider.gate.set()
            b"".join(chunks)
        assert java.wait(120) == 0
        assert witness.read_text() == "ran\n"
        client.close()


def test_a_429_is_released_as_rate_limited_and_pauses_every_process(home, fake_provider):
    fake_provider.status = 429
    fake_provider.headers = {"retry-after": "120"}
    with Limiter(home) as limiter, Limiter(home) as other:
        client = httpx.Client(transport=inflight.HTTPTransport(limiter, provider="openai"))
        response = client.post(fake_provider.url + "/v1/chat/completions", json=BODY)
        assert response.status_code == 429
        openai = [p for p in java_status(home)["providers"] if p["provider"] == "openai"]
        assert openai and openai[0]["paused_left_ms"] > 0, openai
        assert openai[0]["paused_reason"].startswith("429"), openai
        assert other.try_acquire("openai") is None, "another process is paused too"
        assert held_leases(home) == []
        client.close()


def test_the_providers_headers_gate_the_next_grants_until_their_reset(home, fake_provider, clock):
    fake_provider.headers = {"x-ratelimit-remaining-requests": "1", "x-ratelimit-reset-requests": "1m0s",
                             "x-ratelimit-remaining-tokens": "90000", "x-ratelimit-reset-tokens": "6s"}
    with Limiter(home, clock=clock, heartbeat=False) as limiter:
        client = httpx.Client(transport=inflight.HTTPTransport(limiter, provider="openai"))
        client.post(fake_provider.url + "/v1/chat/completions", json=BODY).read()
        first = limiter.try_acquire("openai", model="gpt-4o")
        assert first is not None, "the provider said one request remains"
        first.release()
        assert limiter.try_acquire("openai", model="gpt-4o") is None, "and none after that one"
        java = subprocess.run([CLI, "--home", str(home), "run", "-q", "-p", "openai/gpt-4o", "--timeout",
                               "0s", "--", "true"])
        assert java.returncode == 75, "Java is held back by the same word"
        clock.advance(61_000)
        assert limiter.try_acquire("openai", model="gpt-4o") is not None, "granted again after the reset"
        client.close()


def test_the_async_transport_holds_the_lease_for_the_whole_stream(home, fake_provider):
    fake_provider.gate = threading.Event()

    async def run(limiter):
        async with httpx.AsyncClient(transport=inflight.AsyncHTTPTransport(limiter, provider="openai")) as client:
            async with client.stream("POST", fake_provider.url + "/v1/chat/completions", json=BODY) as response:
                chunks = response.aiter_raw()
                assert b"Hel" in await chunks.__anext__()
                seen = await asyncio.get_running_loop().run_in_executor(None, held_leases, home)
                assert seen == [("openai", "gpt-4o", os.getpid())]
                fake_provider.gate.set()
                async for _ in chunks:
                    pass
            return await asyncio.get_running_loop().run_in_executor(None, held_leases, home)

    with Limiter(home) as limiter:
        assert asyncio.run(run(limiter)) == []


def test_import_inflight_works_without_httpx():
    code = ("import sys; sys.modules['httpx'] = None; import inflight; inflight.Limiter\n"
            "try:\n    inflight.HTTPTransport\nexcept ImportError as e:\n    print('needs', e.name)")
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([os.sys.executable, "-c", code], cwd=here, stdout=subprocess.PIPE, check=True)
    assert out.stdout.decode().strip() == "needs httpx"
