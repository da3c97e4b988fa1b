"""grader/sandbox's uid base: fixed on a machine whose slot locks every grading shares,
drawn per grading in a container whose uids are the host's (config.SANDBOX_UID_POLICY)."""
import pytest

from grader import config
from grader import sandbox


@pytest.fixture
def fresh(monkeypatch):
    monkeypatch.setattr(sandbox, "_UID_BASE", [])
    return monkeypatch


def test_fixed_is_the_configured_base(fresh):
    fresh.setattr(config, "SANDBOX_UID_POLICY", "fixed")
    assert sandbox.uid_base() == config.SANDBOX_UID_BASE


def test_random_bases_are_slot_aligned_above_the_fixed_range_and_spread(fresh):
    fresh.setattr(config, "SANDBOX_UID_POLICY", "random")
    bases = set()
    for _ in range(200):
        fresh.setattr(sandbox, "_UID_BASE", [])
        base = sandbox.uid_base()
        assert base % config.SANDBOX_SLOTS == 0 and 1 << 20 <= base and base + config.SANDBOX_SLOTS <= 1 << 30
        assert sandbox.uid_base() == base  # one base for all of a process's gradings
        bases.add(base)
    assert len(bases) > 190


@pytest.mark.parametrize("marker, uid_map, expected", [
    (None, "0 0 4294967295", False),               # a host: the slot locks are shared
    ("/.dockerenv", "0 0 4294967295", True),        # Docker without remapping (Gradescope)
    ("/run/.containerenv", "0 0 4294967295", True),  # Podman, rootful
    ("/.dockerenv", "0 100000 65536", False),        # remapped: the container's uids are its own
])
def test_auto_draws_only_in_a_container_sharing_the_hosts_uids(fresh, marker, uid_map, expected, tmp_path):
    fresh.setattr(config, "SANDBOX_UID_POLICY", "auto")
    fresh.setattr(sandbox.os.path, "exists", lambda p: p == marker)
    real_open = open
    mapping = tmp_path / "uid_map"
    mapping.write_text(f"         {uid_map}\n")
    fresh.setattr("builtins.open", lambda p, *a, **k: real_open(mapping if p == "/proc/self/uid_map" else p, *a, **k))
    assert sandbox._in_container_with_host_uids() is expected
    assert (sandbox.uid_base() != config.SANDBOX_UID_BASE) is expected
