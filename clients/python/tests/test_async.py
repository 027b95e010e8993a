"""asyncio: lease_async waits without blocking the event loop, and a cancelled waiter leaves the
queue (the database and the Java command both see the row gone)."""

import asyncio

import pytest

from conftest import java_status


async def until_async(condition, what, deadline_s=90):
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_s
    while not condition():
        if loop.time() > end:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.01)  # waiting for a condition, not letting time pass


def test_async_with_holds_the_lease_for_the_block(limiters, db):
    limiter = limiters()

    async def run():
        async with limiter.lease_async("openai", model="gpt-4o", label="async", tokens=10) as lease:
            assert db("SELECT label FROM leases WHERE owner_id IS NOT NULL") == [("async",)]
            return lease

    lease = asyncio.run(run())
    assert lease.released and db.value("SELECT count(*) FROM leases") == 0


def test_a_cancelled_waiter_leaves_the_queue(limiters, db):
    holder, waiter = limiters(), limiters()
    holder.limits.set("openai", 1)
    held = holder.lease("openai")

    async def run():
        task = asyncio.ensure_future(waiter.lease_async("openai", label="cancel-me").__aenter__())
        await until_async(lambda: db.value("SELECT count(*) FROM queue") == 1, "the request to queue")
        other_work = asyncio.ensure_future(asyncio.sleep(0))  # the loop is not blocked meanwhile
        await other_work
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert db.value("SELECT count(*) FROM queue") == 0, "the cancelled request left the queue"
    assert java_status(holder.home)["waiters"] == []
    held.release()
    assert db.value("SELECT count(*) FROM leases") == 0, "and nothing was granted to it afterwards"


def test_an_async_timeout_raises_naming_the_state_and_leaves_the_queue(limiters, db):
    holder, waiter = limiters(), limiters()
    holder.limits.set("openai", 1)
    holder.lease("openai")

    async def run():
        with pytest.raises(TimeoutError, match=r"no lease for 'openai' after 0s \(limit=1, active=1"):
            await waiter.lease_async("openai", timeout=0)

    asyncio.run(run())
    assert db.value("SELECT count(*) FROM queue") == 0


def test_many_async_waiters_are_all_served_in_one_loop(limiters, db):
    holder, waiter = limiters(), limiters()
    holder.limits.set("openai", 1)
    held = holder.lease("openai")

    async def one(i):
        async with waiter.lease_async("openai", label=f"w{i}", timeout=120):
            pass

    async def run():
        tasks = [asyncio.ensure_future(one(i)) for i in range(20)]
        await until_async(lambda: db.value("SELECT count(*) FROM queue") == 20, "20 requests to queue")
        held.release()
        await asyncio.gather(*tasks)

    asyncio.run(run())
    assert db.value("SELECT count(*) FROM leases") + db.value("SELECT count(*) FROM queue") == 0
