"""The process pool: same results as in-process, typed errors cross it, and the hub keeps running."""
import time

import eventlet
import eventlet.event
import pytest

from services.media.processing import (
    MediaError, MediaLimits, configure_pool, process_photo, process_photo_in_pool, process_video_in_pool,
    shutdown_pool,
)
from services.media.tests.unit import hostile


@pytest.fixture(autouse=True)
def small_pool():
    configure_pool(max_workers=2, max_tasks_per_child=20, memory_limit_mb=3072)
    yield
    shutdown_pool()


def test_pool_result_equals_the_in_process_result():
    data = hostile.camera_jpeg(18.34, 105.9, orientation=6)
    pooled, direct = process_photo_in_pool(data), process_photo(data)
    assert pooled.location_hint == direct.location_hint and (pooled.width, pooled.height) == (400, 600)
    assert {k: d.body for k, d in pooled.derivatives.items()} == {k: d.body for k, d in direct.derivatives.items()}


@pytest.mark.parametrize("name", ["png_bomb_20000x20000", "zip_renamed_jpg", "truncated_jpeg"])
def test_typed_errors_cross_the_pool(name):
    data, expected = hostile.hostile_corpus()[name]
    with pytest.raises(MediaError) as caught:
        process_photo_in_pool(data)
    assert caught.value.code == expected


def test_waiting_on_the_pool_does_not_block_the_eventlet_hub():
    """While green threads wait for the workers, the hub keeps turning: another green thread ticks all along.

    Measured against the work itself, not the wall clock: a wait that blocked the hub would leave a gap at least as
    long as a whole pool call, so the longest gap between ticks must stay well under the shortest call (on a loaded
    machine both grow together)."""
    ticks: list[float] = []
    done = eventlet.event.Event()

    def ticker():
        while not done.ready():
            ticks.append(time.monotonic())
            eventlet.sleep(0.01)

    # The photo is made before the ticker starts: encoding it is CPU work in this process, which blocks the hub
    # by itself (three of them made inside the green threads once showed as a 1.5 s gap).
    photo = hostile.jpeg(3000, 2000)

    def timed_call():
        started = time.monotonic()
        result = process_photo_in_pool(photo)
        return result, time.monotonic() - started

    process_photo_in_pool(hostile.jpeg(64, 64))  # start the workers first
    beat = eventlet.spawn(ticker)
    pile = eventlet.GreenPile()
    for _ in range(3):
        pile.spawn(timed_call)
    results = list(pile)
    done.send()
    beat.wait()
    assert [max(r.derivatives["master"].width, r.derivatives["master"].height) for r, _ in results] == [2048] * 3
    shortest = min(seconds for _, seconds in results)
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) >= 10, (len(ticks), shortest)
    assert max(gaps) < shortest / 2, (max(gaps), shortest)


def test_video_in_pool(tmp_path):
    clip = hostile.make_video(tmp_path / "clip.mp4", 2)
    result = process_video_in_pool(str(clip), out_dir=str(tmp_path / "out"))
    assert result.derivatives["video"].body.exists()
    with pytest.raises(MediaError) as caught:
        process_video_in_pool(str(clip), MediaLimits(max_video_seconds=1))
    assert caught.value.code == "VIDEO_TOO_LONG"


def test_the_worker_memory_cap_stops_a_bomb_that_a_loose_limit_let_through():
    configure_pool(max_workers=1, memory_limit_mb=1000)
    bomb = hostile.png_bomb(9000, 9000)  # 81 Mpx: under Pillow's own warning, over the cap once decoded
    with pytest.raises(MediaError) as caught:
        process_photo_in_pool(bomb, MediaLimits(max_pixels=10**9))
    assert caught.value.code == "MEDIA_PROCESSING_FAILED"
    assert process_photo_in_pool(hostile.jpeg(64, 64)).width == 64  # the pool still works afterwards
