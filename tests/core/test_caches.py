"""The one cache helper (core.caches over cachetools)."""

from regshare.core import caches


def test_a_value_is_loaded_once_and_an_empty_one_not_kept():
    cache = caches.ttl_cache(maxsize=8, seconds=60)
    loads = []

    def load(value):
        loads.append(value)
        return value

    assert caches.get_or_load(cache, "a", lambda: load([1])) == [1]
    assert caches.get_or_load(cache, "a", lambda: load([2])) == [1]
    assert caches.get_or_load(cache, "b", lambda: load([])) == []
    assert caches.get_or_load(cache, "b", lambda: load([3])) == [3]
    assert loads == [[1], [], [3]]
    caches.clear_all()
    assert caches.get_or_load(cache, "a", lambda: load([4])) == [4]
